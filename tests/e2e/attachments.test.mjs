// Attachments, end to end (issue 15): a client pastes a screenshot into a new ticket (a ClipboardEvent
// holding a PNG File, as Print Screen then Ctrl+V gives), sees its upload finish, reloads (the draft
// keeps the file), sends; the agent sees the picture on the ticket page, served by the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, assertNoErrors, assertAccessible, signedInPage, apiLogin, api } from './harness.mjs';

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
  assert.match(src, /^\/api\/v1\/attachments\/\d+\/thumbnail$/, 'the server-made thumbnail, not the whole file');
  await assertAccessible(agent);
  assertNoErrors(client);
  assertNoErrors(agent);
});

test('an upload cut by a dropped connection is retried, and a ticket whose answer was lost is still sent once', async () => {
  const token = `D${Date.now()}`;
  const client = await signedIn('bruno@petfeliz.demo', '/tickets/new', { allowed: ['Failed to load resource', 'ERR_FAILED', 'ERR_CONNECTION_RESET'] });
  await client.getByRole('heading', { level: 1, name: 'Abrir um chamado' }).waitFor();
  await client.getByLabel('Assunto').fill(`Etiqueta da balança sai cortada ${token}`);
  const description = client.getByLabel('Descreva o problema');
  await description.fill('Segue a foto da etiqueta.');
  // The shop's link drops the first upload's connection before it reaches the server.
  let uploads = 0;
  await client.route('**/api/v1/attachments', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    uploads += 1;
    if (uploads === 1) return route.abort('connectionreset');
    return route.continue();
  });
  await description.focus();
  await client.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'etiqueta.png', { type: 'image/png' }));
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, PNG);
  const files = client.getByRole('list', { name: 'Arquivos anexados' });
  await files.getByText('enviado').waitFor({ timeout: 20_000 });
  assert.equal(uploads, 2, 'retried once, by itself');
  await client.unroute('**/api/v1/attachments');

  // Sending: the ticket reaches the server, but its answer is lost; the retry answers the same ticket.
  let delivered = 0;
  await client.route('**/api/v1/tickets', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    await route.fetch();
    delivered += 1;
    await route.abort('failed');
  });
  await client.getByRole('button', { name: 'Enviar chamado' }).click();
  await client.getByRole('alert').filter({ hasText: 'Não foi possível falar com o servidor' }).waitFor();
  assert.equal(delivered, 1);
  await client.unroute('**/api/v1/tickets');
  await client.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor({ timeout: 20_000 });
  await client.getByRole('img', { name: 'etiqueta.png' }).waitFor();

  const cookie = await apiLogin(server.url, 'carla@suporte.demo');
  const found = await api(server.url, cookie, 'GET', `/tickets?status=all&q=${encodeURIComponent(token)}`);
  assert.equal(found.body.total, 1, 'exactly one ticket');
  const ticket = await api(server.url, cookie, 'GET', `/tickets/${found.body.items[0].id}`);
  assert.equal(ticket.body.attachments.length, 1, 'with its one file');
  assert.equal(ticket.body.attachments[0].name, 'etiqueta.png');
  assertNoErrors(client);
  await client.context().close();
});
