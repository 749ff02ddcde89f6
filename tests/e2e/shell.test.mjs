// The portal's shell: language, announcements, 404 pages, caching and security headers.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, assertNoErrors, assertAccessible, apiLogin, api, signedInPage } from './harness.mjs';

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

test('the home page renders in Portuguese, with no console error and no accessibility violation', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1, name: 'Como podemos ajudar?' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'pt-BR');
  await page.getByRole('banner').getByRole('link', { name: 'Entrar' }).waitFor();
  await page.getByRole('contentinfo').waitFor();
  await assertAccessible(page);
  assertNoErrors(page);
});

test('switching to English changes the text and survives a reload', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1, name: 'Como podemos ajudar?' }).waitFor();
  await page.getByLabel('Idioma').selectOption('en');
  await page.getByRole('heading', { level: 1, name: 'How can we help?' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'How can we help?' }).waitFor();
  assert.equal(await page.getByLabel('Language').inputValue(), 'en');
  await assertAccessible(page);
  assertNoErrors(page);
});

test('a first visit follows the browser language', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1, name: 'How can we help?' }).waitFor();
  assertNoErrors(page);
});

test('an announcement created through the API shows on every page, with its start time', async () => {
  const cookie = await apiLogin(server.url, 'carla@suporte.demo');
  const created = await api(server.url, cookie, 'POST', '/announcements', {
    kind: 'incident',
    title: 'Instabilidade na emissão de NFC-e',
    body_md: 'A SEFAZ de SP está **fora do ar**. Use a contingência offline.',
  });
  assert.equal(created.status, 201);
  const page = await newPage(browser, { locale: 'pt-BR' });
  for (const path of ['/', '/login', '/nao-existe']) {
    await page.goto(server.url + path);
    const banner = page.getByRole('region', { name: 'Avisos' });
    await banner.getByText('Instabilidade na emissão de NFC-e').waitFor();
    await banner.getByText('Incidente').waitFor();
    assert.match(await banner.locator('strong', { hasText: 'fora do ar' }).innerText(), /fora do ar/);
    const datetime = await banner.locator('time').getAttribute('datetime');
    assert.equal(new Date(datetime).getTime(), new Date(created.body.starts_at).setMilliseconds(0));
  }
  await assertAccessible(page);
  // A maintenance window says when it is expected to end.
  const ends = new Date(Date.now() + 2 * 3600_000);
  ends.setUTCSeconds(0, 0);
  const window = await api(server.url, cookie, 'POST', '/announcements', {
    kind: 'maintenance',
    title: 'Atualização do servidor de notas',
    body_md: 'Emissão de NF-e indisponível durante a janela.',
    ends_at: ends.toISOString(),
  });
  assert.equal(window.status, 201);
  await page.reload();
  const item = page.getByRole('region', { name: 'Avisos' }).getByRole('article').filter({ hasText: 'Atualização do servidor de notas' });
  await item.getByText('previsto até').waitFor();
  assert.equal(new Date(await item.locator('time').nth(1).getAttribute('datetime')).getTime(), ends.getTime());
  assert.equal((await api(server.url, cookie, 'DELETE', `/announcements/${window.body.id}`, {})).status, 204);
  // Ended, it disappears.
  assert.equal((await api(server.url, cookie, 'DELETE', `/announcements/${created.body.id}`, {})).status, 204);
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1 }).waitFor();
  assert.equal(await page.getByText('Instabilidade na emissão de NFC-e').count(), 0);
  assertNoErrors(page);
});

test('an unknown address shows the 404 page; an unknown API path is a JSON 404, never the app', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  await page.goto(`${server.url}/nao-existe/mesmo`);
  await page.getByRole('heading', { level: 1, name: 'Página não encontrada' }).waitFor();
  await assertAccessible(page);
  assertNoErrors(page);
  const r = await fetch(`${server.url}/api/v1/nao-existe`);
  assert.equal(r.status, 404);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  const other = await fetch(`${server.url}/api/v2/tickets`);
  assert.equal(other.status, 404);
});

test('hashed files are cached for a year and compressed; index.html is revalidated', async () => {
  const index = await fetch(server.url, { headers: { 'accept-encoding': 'br' } });
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const csp = index.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(index.headers.get('referrer-policy'), 'same-origin');
  const html = await index.text();
  const wasm = html.match(/\/(portal-[0-9a-f]{16}_bg\.wasm)/)[1];
  for (const encoding of ['br', 'gzip']) {
    const r = await fetch(`${server.url}/${wasm}`, { headers: { 'accept-encoding': encoding } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-encoding'), encoding);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(r.headers.get('content-type'), 'application/wasm');
  }
});

test('a signed-in client finds "Abrir um chamado" in the header of every page and on the home page', async () => {
  const page = await signedInPage(browser, server.url, 'ana@mercadobompreco.demo', '/');
  await page.getByRole('heading', { level: 1, name: 'Como podemos ajudar?' }).waitFor();
  const header = page.getByRole('banner');
  await page.getByRole('main').getByRole('link', { name: 'Abrir um chamado' }).waitFor();
  for (const path of ['/', '/kb/emissao-de-nota-fiscal-eletronica-nf-e', '/tickets', '/account/password']) {
    await page.goto(`${server.url}${path}`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    const link = header.getByRole('link', { name: 'Abrir um chamado' });
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), '/tickets/new', path);
    // A plain link: "Meus chamados" stays the one current page of the navigation.
    assert.equal(await link.getAttribute('aria-current'), null, path);
  }
  await header.getByRole('link', { name: 'Abrir um chamado' }).click();
  await page.getByRole('heading', { level: 1, name: 'Abrir um chamado' }).waitFor();
  await assertAccessible(page);
  assertNoErrors(page);

  // Staff log tickets from the queue: their header has no such link.
  const agent = await signedInPage(browser, server.url, 'carla@suporte.demo', '/');
  await agent.getByRole('heading', { level: 1, name: 'Como podemos ajudar?' }).waitFor();
  await agent.getByRole('banner').getByRole('link', { name: 'Equipe' }).waitFor();
  assert.equal(await agent.getByRole('banner').getByRole('link', { name: 'Abrir um chamado' }).count(), 0);
  assertNoErrors(agent);
});
