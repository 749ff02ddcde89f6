// Attachments, end to end (issue 15): a client pastes a screenshot into a new ticket (a ClipboardEvent
// holding a PNG File, as Print Screen then Ctrl+V gives), sees its upload finish, reloads (the draft
// keeps the file), sends; the agent sees the picture on the ticket page, served by the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, assertNoErrors, assertAccessible, signedInPage } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const signedIn = (email, path, opts) => signedInPage(browser, server.url, email, path, opts);

// A real 1×1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

test('a pasted screenshot goes with the new ticket, survives a reload, and the agent sees it', async () => {
  const token = `A${Date.now()}`;
  const client = await signedIn('rui@mercadobompreco.demo', '/tickets/new');
  await client.getByRole('heading', { level: 1, name: 'Abrir um chamado' }).waitFor();
  await client.getByLabel('Assunto').fill(`Rejeição 539 no caixa ${token}`);
  const description = client.getByLabel('Descreva o problema');
  await description.fill('Segue a tela do erro.');
  await description.focus();
  await client.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
    const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
    document.activeElement.dispatchEvent(paste);
  }, PNG);
  const files = client.getByRole('list', { name: 'Arquivos anexados' });
  await files.getByText('enviado').waitFor();
  await files.getByText(/^captura-de-tela-.*\.png$/).waitFor();
  await assertAccessible(client);

  // A reload keeps the uploaded file with the draft's text.
  await client.reload();
  await client.getByRole('heading', { level: 1, name: 'Abrir um chamado' }).waitFor();
  await client.getByRole('list', { name: 'Arquivos anexados' }).getByText('enviado').waitFor();
  await client.getByRole('button', { name: 'Enviar chamado' }).click();
  await client.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor();
  const id = Number(client.url().split('/').pop());
  assert.ok(id > 0);

  const agent = await signedIn('carla@suporte.demo', `/tickets/${id}`);
  await agent.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor();
  const picture = agent.getByRole('img', { name: /^captura-de-tela-.*\.png$/ });
  await picture.waitFor();
  // The browser really decoded the image the server sent.
  await agent.waitForFunction(() => {
    const img = document.querySelector('img.attachment-thumb');
    return img && img.complete && img.naturalWidth === 1;
  });
  const src = await picture.getAttribute('src');
  assert.match(src, /^\/api\/v1\/attachments\/\d+$/);
  await assertAccessible(agent);
  assertNoErrors(client);
  assertNoErrors(agent);
});
