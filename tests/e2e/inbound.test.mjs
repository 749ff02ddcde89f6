// Mail from an address no account has waits for staff: an agent accepts the sender as a client of an
// organization, and the mail becomes that client's ticket.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, signedInPage, assertNoErrors, assertAccessible } from './harness.mjs';

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

test('an agent accepts mail from an unknown sender as a new client, and it becomes their ticket', async () => {
  const mail = fileURLToPath(new URL('../../api-mock/tests/corpus/unknown.eml', import.meta.url));
  // As a mail server piping a delivery to the portal would.
  const out = execFileSync(server.bin, ['mail', 'import', '--db', server.db, mail], { env: { ...process.env, RUST_LOG: 'error' } }).toString();
  assert.match(out, /unknown\.eml: review/);

  const page = await signedInPage(browser, server.url, 'carla@suporte.demo', '/staff/inbound');
  await page.getByRole('heading', { level: 1, name: 'E-mails de remetentes desconhecidos' }).waitFor();
  const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Quero contratar o sistema' }) });
  await item.waitFor();
  assert.match(await item.innerText(), /joana\.prado@gmail\.example/);
  assert.match(await item.innerText(), /Tenho uma farmácia/);
  await assertAccessible(page);
  // Accepting needs an organization.
  await item.getByLabel('Organização').selectOption({ label: 'Mercado Bom Preço' });
  assert.equal(await item.getByLabel('Nome do cliente').inputValue(), 'Joana Prado');
  await item.getByRole('button', { name: 'Aceitar como cliente' }).click();
  const status = page.getByRole('status').filter({ hasText: 'agora é cliente' });
  await status.waitFor();
  // The list is asked for again after the decision: the mail leaves it once that answer is in (the
  // status can come first on a busy machine).
  await item.waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await page.getByRole('heading', { name: 'Quero contratar o sistema' }).count(), 0, 'no longer waiting');
  await status.getByRole('link', { name: /Abrir o chamado #\d+/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Quero contratar o sistema' }).waitFor();
  assert.match(await page.getByRole('main').innerText(), /Joana Prado/);
  // The accepted list keeps it, with its ticket.
  await page.goto(`${server.url}/staff/inbound`);
  await page.getByLabel('Situação').selectOption({ label: 'Aceitos' });
  await page.getByRole('heading', { name: 'Quero contratar o sistema' }).waitFor();
  await assertAccessible(page);
  assertNoErrors(page);
});
