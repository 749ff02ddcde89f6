// The knowledge base as a client uses it: search as you type (with a typo and without accents), the keyboard,
// sharing a search by its URL, no results, categories, an article with its translation and "Was this helpful?".

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, assertNoErrors, assertAccessible } from './harness.mjs';

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

const NFE = 'Emissão de nota fiscal eletrônica (NF-e) passo a passo';

test('typing "emissao nota fsical" finds the NF-e article, and the keyboard opens it', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  await page.goto(server.url);
  const box = page.getByRole('combobox', { name: 'Pesquise na base de conhecimento' });
  await box.waitFor();
  // The search box has the focus on load: typing goes straight into it.
  await page.keyboard.type('emissao nota fsical', { delay: 20 });
  assert.equal(await box.inputValue(), 'emissao nota fsical');
  const results = page.getByRole('listbox', { name: 'Resultados' });
  const first = results.getByRole('option').first();
  await first.waitFor();
  // On a busy machine a pause between two keys may show a shorter query's hits first: wait for the
  // whole query's answer.
  await page.waitForFunction(() => /Emissão de nota fiscal eletrônica \(NF-e\)/
    .test(document.querySelector('[role="listbox"] [role="option"]')?.textContent ?? ''));
  assert.match(await first.innerText(), /Emissão de nota fiscal eletrônica \(NF-e\)/);
  // Matched words are highlighted in the snippet, with <mark> and nothing else.
  assert.ok(await results.locator('mark').count() > 0, 'highlighted words in the snippets');
  await page.getByRole('status').filter({ hasText: /resultado/ }).waitFor();
  // The query is in the URL, so the search can be shared.
  await page.waitForURL(/\?q=emissao(%20|\+)nota(%20|\+)fsical/);
  await assertAccessible(page);

  await box.press('ArrowDown');
  assert.equal(await first.getAttribute('aria-selected'), 'true');
  assert.equal(await box.getAttribute('aria-activedescendant'), await first.getAttribute('id'));
  await box.press('Enter');
  await page.getByRole('heading', { level: 1, name: NFE }).waitFor();
  assert.match(page.url(), /\/kb\/emissao-de-nota-fiscal-eletronica-nf-e\?search_id=\d+/);

  // Back returns to the same results.
  await page.goBack();
  await results.getByRole('option').first().waitFor();
  assert.equal(await box.inputValue(), 'emissao nota fsical');
  assertNoErrors(page);
});

test('a shared search URL shows its results, and Escape clears the search', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  await page.goto(`${server.url}/?q=${encodeURIComponent('sangria')}`);
  const box = page.getByRole('combobox', { name: 'Pesquise na base de conhecimento' });
  await page.getByRole('listbox', { name: 'Resultados' }).getByRole('option', { name: /sangria/i }).first().waitFor();
  assert.equal(await box.inputValue(), 'sangria');
  await box.press('Escape');
  await page.getByRole('heading', { level: 2, name: 'Categorias' }).waitFor();
  assert.equal(await box.inputValue(), '');
  assert.equal(new URL(page.url()).search, '');
  assertNoErrors(page);
});

test('a search with no answer says so, suggests what to try, and offers a ticket with the question', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  await page.goto(server.url);
  const box = page.getByRole('combobox', { name: 'Pesquise na base de conhecimento' });
  await box.fill('xyzzy impressora quântica');
  await page.getByRole('heading', { level: 2, name: /Nenhum artigo encontrado/ }).waitFor();
  const ticket = page.getByRole('link', { name: 'Abrir um chamado' });
  // The search is recorded once the reader stops typing (or follows the link); then the link names it.
  for (let i = 0; !/search_id=/.test(await ticket.getAttribute('href')); i++) {
    assert.ok(i < 50, 'the link never named its search');
    await page.waitForTimeout(100);
  }
  const href = await ticket.getAttribute('href');
  assert.match(href, /^\/tickets\/new\?subject=xyzzy%20impressora%20qu%C3%A2ntica&search_id=\d+$/);
  // Suggestions: the categories are still there to browse.
  await page.getByRole('heading', { level: 2, name: 'Categorias' }).waitFor();
  await assertAccessible(page);
  assertNoErrors(page);
});

test('the home page lists categories with counts and the most viewed articles; a category lists its articles', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  await page.goto(server.url);
  const categories = page.getByRole('region', { name: 'Categorias' });
  const nf = categories.getByRole('link', { name: 'Notas fiscais (NF-e e NFC-e)' });
  await nf.waitFor();
  const nfItem = categories.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Notas fiscais (NF-e e NFC-e)' }) });
  assert.match(await nfItem.innerText(), /\d+ artigo/);
  const popular = page.getByRole('region', { name: 'Mais vistos' });
  await popular.getByRole('link').first().waitFor();
  assert.ok(await popular.getByRole('link').count() >= 3);
  await assertAccessible(page);

  await nf.click();
  await page.getByRole('heading', { level: 1, name: 'Notas fiscais (NF-e e NFC-e)' }).waitFor();
  await page.getByRole('navigation', { name: 'Você está em' }).getByRole('link', { name: 'Início' }).waitFor();
  await page.getByRole('main').getByRole('link', { name: NFE }).click();
  await page.getByRole('heading', { level: 1, name: NFE }).waitFor();
  assertNoErrors(page);
});

test('an article: breadcrumbs, update time, translation, related articles, and a vote that can be changed', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  await page.goto(`${server.url}/kb/emissao-de-nota-fiscal-eletronica-nf-e`);
  await page.getByRole('heading', { level: 1, name: NFE }).waitFor();
  const crumbs = page.getByRole('navigation', { name: 'Você está em' });
  await crumbs.getByRole('link', { name: 'Notas fiscais (NF-e e NFC-e)' }).waitFor();
  // The last update, as a machine-readable time and in the reader's form.
  const updated = page.locator('.article-meta time');
  assert.match(await updated.getAttribute('datetime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(await updated.innerText(), /\d\d\/\d\d\/\d{4}/);
  await page.getByRole('region', { name: 'Artigos relacionados' }).getByRole('link').first().waitFor();
  await assertAccessible(page);

  const yes = page.getByRole('button', { name: 'Sim', exact: true });
  const no = page.getByRole('button', { name: 'Não', exact: true });
  await no.click();
  await page.getByText('Obrigado pela avaliação!').waitFor();
  assert.equal(await no.getAttribute('aria-pressed'), 'true');
  await page.getByLabel('Quer contar mais? (opcional)').fill('Faltou explicar a rejeição 539.');
  await page.getByRole('button', { name: 'Enviar comentário' }).click();
  await page.getByText('Comentário recebido.').waitFor();
  // A changed mind replaces the vote instead of adding one.
  await yes.click();
  await page.waitForFunction(() => document.querySelector('[aria-pressed="true"]')?.textContent.trim() === 'Sim');
  const article = await (await fetch(`${server.url}/api/v1/kb/articles/emissao-de-nota-fiscal-eletronica-nf-e`)).json();
  assert.equal(article.helpful_yes, 1);
  assert.equal(article.helpful_no, 0);
  // The vote is remembered on a reload.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: NFE }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Sim', exact: true }).getAttribute('aria-pressed'), 'true');

  await page.getByRole('link', { name: 'Read in English' }).click();
  await page.getByRole('heading', { level: 1, name: 'Issuing an electronic invoice (NF-e) step by step' }).waitFor();
  assert.equal(await page.locator('article').getAttribute('lang'), 'en');
  await page.getByRole('link', { name: 'Ler em português' }).waitFor();
  assertNoErrors(page);
});

test('an article that does not exist says so, in English too', async () => {
  const page = await newPage(browser, { locale: 'en', allowed: ['404'] });
  await page.goto(`${server.url}/kb/no-such-article`);
  await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
  await page.getByRole('link', { name: 'Back to the home page' }).waitFor();
  await assertAccessible(page);
  assertNoErrors(page);
});

/**
 * A page on a slow phone link: the WebAssembly waits until `releaseWasm()` is called, and
 * `window.__shifts` adds up the layout shifts (CLS).
 */
async function slowAppPage() {
  const page = await newPage(browser, { locale: 'pt-BR' });
  let releaseWasm;
  const wasmHeld = new Promise((resolve) => { releaseWasm = resolve; });
  await page.route(/_bg\.wasm$/, async (route) => {
    await wasmHeld;
    await route.continue();
  });
  await page.addInitScript(() => {
    window.__shifts = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  return { page, releaseWasm };
}

test('an article is on screen before the app has loaded, and the app takes over without moving anything', async () => {
  const { page, releaseWasm } = await slowAppPage();
  await page.goto(`${server.url}/kb/emissao-de-nota-fiscal-eletronica-nf-e`, { waitUntil: 'domcontentloaded' });
  // The server's copy: heading, text, title, canonical link, while the app cannot have started.
  await page.getByRole('heading', { level: 1, name: NFE }).waitFor();
  assert.equal(await page.title(), `${NFE} — Portal de Suporte`);
  assert.match(await page.locator('link[rel="canonical"]').getAttribute('href'), /\/kb\/emissao-de-nota-fiscal-eletronica-nf-e$/);
  assert.equal(await page.getByRole('button', { name: 'Sim' }).count(), 0, 'no app yet');
  await assertAccessible(page);
  const before = await page.getByRole('heading', { level: 1, name: NFE }).boundingBox();
  releaseWasm();
  // The app's own page: the vote buttons exist only there.
  await page.getByRole('heading', { name: 'Este artigo ajudou?' }).waitFor();
  assert.equal(await page.locator('#prerender').count(), 0, 'the copy is gone');
  assert.equal(await page.getByRole('heading', { level: 1, name: NFE }).count(), 1);
  const after = await page.getByRole('heading', { level: 1, name: NFE }).boundingBox();
  assert.ok(Math.abs(after.y - before.y) < 40, `the heading stays about where it was: ${before.y} -> ${after.y}`);
  const shifts = await page.evaluate(() => window.__shifts);
  assert.ok(shifts <= 0.02, `cumulative layout shift ${shifts}`);
  await assertAccessible(page);
  assertNoErrors(page);
});

test('the home page is on screen before the app has loaded, and what the reader typed meanwhile is searched', async () => {
  const { page, releaseWasm } = await slowAppPage();
  await page.goto(server.url, { waitUntil: 'domcontentloaded' });
  // The server's copy: the question, the categories with their counts, the most viewed articles.
  await page.getByRole('heading', { level: 1, name: 'Como podemos ajudar?' }).waitFor();
  const nf = page.getByRole('region', { name: 'Categorias' }).getByRole('listitem')
    .filter({ has: page.getByRole('link', { name: 'Notas fiscais (NF-e e NFC-e)' }) });
  assert.match(await nf.innerText(), /\d+ artigo/);
  assert.ok(await page.getByRole('region', { name: 'Mais vistos' }).getByRole('link').count() >= 3);
  assert.equal(await page.getByRole('combobox').count(), 0, 'no app yet');
  await assertAccessible(page);
  // The reader starts typing at once (the copy's box has the focus).
  await page.keyboard.type('sangria', { delay: 20 });
  releaseWasm();
  const box = page.getByRole('combobox', { name: 'Pesquise na base de conhecimento' });
  await box.waitFor();
  assert.equal(await page.locator('#prerender').count(), 0, 'the copy is gone');
  assert.equal(await box.inputValue(), 'sangria', 'the words moved to the app');
  await page.getByRole('listbox', { name: 'Resultados' }).getByRole('option').first().waitFor();
  await page.waitForURL(/\?q=sangria/);
  // The focus moved too: more typing goes on in the same box.
  await page.keyboard.type(' caixa', { delay: 20 });
  assert.equal(await box.inputValue(), 'sangria caixa');
  const shifts = await page.evaluate(() => window.__shifts);
  assert.ok(shifts <= 0.02, `cumulative layout shift ${shifts}`);
  await assertAccessible(page);
  assertNoErrors(page);
});
