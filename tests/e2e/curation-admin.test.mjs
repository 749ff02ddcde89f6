// Curating the knowledge base as staff: a search that found nothing reaches the analytics and becomes a new
// article; the article list filters by status and language and keeps the filters in its URL; categories are
// created, renamed and reordered; a synonym group makes search find an article by a new word.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, assertNoErrors, assertAccessible, apiLogin, api, signedInPage } from './harness.mjs';

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

const NONSENSE = 'xyzzy impressora quântica';

const signedIn = (email, path, opts) => signedInPage(browser, server.url, email, path, opts);

test('a search that found nothing shows in the analytics and leads to a new article with its title', async () => {
  // A client searches for something the knowledge base does not have.
  const client = await signedIn('ana@mercadobompreco.demo', '/');
  const box = client.getByRole('combobox', { name: 'Pesquise na base de conhecimento' });
  await box.fill(NONSENSE);
  await client.getByRole('heading', { level: 2, name: /Nenhum artigo encontrado/ }).waitFor();
  // Leaving the box is settling on the search: it is recorded then (typing pauses are not).
  await box.blur();
  await client.waitForTimeout(500);
  assertNoErrors(client);
  await client.context().close();

  // An agent finds it among the searches with no results.
  const page = await signedIn('carla@suporte.demo', '/staff/kb');
  const nav = page.getByRole('navigation', { name: 'Base de conhecimento da equipe' });
  await nav.getByRole('link', { name: 'Análise de buscas' }).click();
  await page.getByRole('heading', { level: 1, name: 'Análise de buscas' }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Análise de buscas' }).getAttribute('aria-current'), 'page');
  assert.equal(await nav.getByRole('link', { name: 'Artigos' }).getAttribute('aria-current'), null);
  const summary = page.getByRole('list', { name: 'Resumo' });
  await summary.waitFor();
  const searches = summary.getByRole('listitem').filter({ has: page.getByText('Buscas', { exact: true }) });
  assert.ok(Number((await searches.locator('.kpi-value').innerText()).trim()) >= 1);
  const deflection = summary.getByRole('listitem').filter({ hasText: 'Taxa de deflexão' });
  assert.match(await deflection.innerText(), /—|%/);
  assert.match(await deflection.innerText(), /24 horas/);

  const zero = page.getByRole('table', { name: 'Buscas sem resultado' });
  const row = zero.getByRole('row').filter({ has: page.getByRole('rowheader', { name: NONSENSE }) });
  await row.waitFor();
  const last = row.locator('time');
  assert.match(await last.getAttribute('datetime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(await last.innerText(), /\d\d\/\d\d\/\d{4}.*\d\d:\d\d:\d\d/);
  // Each section is there, with its content or a message saying it is empty.
  for (const name of ['Artigos que menos ajudaram', 'Buscas mais feitas', 'Artigos mais vistos']) {
    await page.getByRole('heading', { level: 2, name }).waitFor();
  }
  await page.getByRole('table', { name: 'Buscas mais feitas' }).getByRole('rowheader', { name: NONSENSE }).waitFor();
  await page.getByRole('table', { name: 'Artigos mais vistos' }).waitFor();
  await assertAccessible(page);

  // The period is in the URL, and survives a reload.
  await page.getByLabel('Período').selectOption('7');
  await page.waitForURL(/\/staff\/kb\/analytics\?days=7$/);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Análise de buscas' }).waitFor();
  assert.equal(await page.getByLabel('Período').inputValue(), '7');
  await zero.getByRole('rowheader', { name: NONSENSE }).waitFor();

  const write = row.getByRole('link', { name: /Escrever um artigo sobre isto/ });
  assert.equal(
    await write.getAttribute('href'),
    `/staff/kb/new?title=${encodeURIComponent(NONSENSE)}&locale=pt-BR`,
  );
  await write.click();
  await page.waitForURL((url) => url.pathname === '/staff/kb/new'
    && url.searchParams.get('title') === NONSENSE && url.searchParams.get('locale') === 'pt-BR');
  // The editor is another page's work: when it is there, the title comes filled in.
  const title = page.getByLabel('Título', { exact: true });
  if (await title.waitFor({ timeout: 5000 }).then(() => true, () => false)) {
    assert.equal(await title.inputValue(), NONSENSE);
  }
  assertNoErrors(page);

  // In English the link says so, and asks for an English article.
  const en = await signedIn('diego@suporte.demo', '/staff/kb/analytics', { locale: 'en' });
  await en.getByRole('heading', { level: 1, name: 'Search analytics' }).waitFor();
  const enRow = en.getByRole('table', { name: 'Searches with no results' }).getByRole('row')
    .filter({ has: en.getByRole('rowheader', { name: NONSENSE }) });
  const enLink = enRow.getByRole('link', { name: /Write an article for this/ });
  assert.equal(await enLink.getAttribute('href'), `/staff/kb/new?title=${encodeURIComponent(NONSENSE)}&locale=en`);
  await assertAccessible(en);
  assertNoErrors(en);
});

test('the article list filters by status and language, and the filters survive a reload', async () => {
  // A draft in English, and one in Portuguese, made through the API.
  const cookie = await apiLogin(server.url, 'carla@suporte.demo');
  const enCategories = await api(server.url, cookie, 'GET', '/kb/categories?locale=en');
  const ptCategories = await api(server.url, cookie, 'GET', '/kb/categories?locale=pt-BR');
  const till = enCategories.body.find((c) => c.slug === 'till-and-checkout');
  const caixa = ptCategories.body.find((c) => c.slug === 'caixa-e-pdv');
  for (const [title, category, locale] of [
    ['Closing the till with a card machine offline', till, 'en'],
    ['Fechamento de caixa com a maquininha sem sinal', caixa, 'pt-BR'],
  ]) {
    const r = await api(server.url, cookie, 'POST', '/kb/articles', {
      title, body_md: 'A draft, still being written.', category_id: category.id, locale, tags: [], status: 'draft',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }

  const page = await signedIn('carla@suporte.demo', '/staff/kb');
  await page.getByRole('heading', { level: 1, name: 'Artigos da base de conhecimento' }).waitFor();
  const table = page.getByRole('table', { name: 'Artigos da base de conhecimento' });
  await table.getByRole('rowheader').first().waitFor();
  // All statuses and languages at first: published demo articles and the drafts.
  assert.ok(await table.getByRole('rowheader').count() > 10);
  await assertAccessible(page);

  await page.getByLabel('Situação').selectOption('draft');
  await page.waitForURL(/status=draft/);
  await table.getByRole('rowheader', { name: 'Fechamento de caixa com a maquininha sem sinal' }).waitFor();
  await page.getByLabel('Idioma do artigo').selectOption('en');
  await page.waitForURL(/status=draft.*locale=en|locale=en.*status=draft/);
  await table.getByRole('rowheader', { name: 'Closing the till with a card machine offline' }).waitFor();
  await table.getByRole('rowheader', { name: 'Fechamento de caixa com a maquininha sem sinal' }).waitFor({ state: 'detached' });
  assert.equal(await table.getByRole('rowheader').count(), 1);
  const row = table.getByRole('row').filter({ hasText: 'Closing the till' });
  assert.match(await row.innerText(), /Rascunho/);
  assert.match(await row.innerText(), /Inglês/);
  assert.match(await row.innerText(), /Till and checkout/);
  const updated = row.locator('time');
  assert.match(await updated.getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  assert.match(await updated.getAttribute('title'), /\d\d:\d\d:\d\d/);
  // The category choice follows the language.
  const category = page.getByLabel('Categoria');
  await category.locator('option', { hasText: 'Till and checkout (PDV)' }).waitFor({ state: 'attached' });
  assert.equal(await category.locator('option', { hasText: 'Caixa e PDV' }).count(), 0);
  await category.selectOption('till-and-checkout');
  await page.waitForURL(/category=till-and-checkout/);
  await table.getByRole('rowheader', { name: 'Closing the till with a card machine offline' }).waitFor();

  // A reload (or a shared link) keeps every filter.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Artigos da base de conhecimento' }).waitFor();
  await table.getByRole('rowheader', { name: 'Closing the till with a card machine offline' }).waitFor();
  assert.equal(await page.getByLabel('Situação').inputValue(), 'draft');
  assert.equal(await page.getByLabel('Idioma do artigo').inputValue(), 'en');
  await page.waitForFunction(() => document.getElementById('kb-category')?.value === 'till-and-checkout');
  assert.equal(await table.getByRole('rowheader').count(), 1);
  // The title links to the editor.
  assert.match(
    await table.getByRole('link', { name: 'Closing the till with a card machine offline' }).getAttribute('href'),
    /^\/staff\/kb\/articles\/closing-the-till/,
  );

  // Published articles in Portuguese whose title has "sangria"; nothing for a word no title has.
  await page.goto(`${server.url}/staff/kb?status=published&locale=pt-BR`);
  await page.getByLabel('Buscar no título').fill('sangria');
  await page.getByRole('button', { name: 'Buscar', exact: true }).click();
  await page.waitForURL(/q=sangria/);
  // The rows of the unfiltered list stay until the filtered answer arrives: wait until every row matches.
  await table.getByRole('rowheader', { name: /sangria/i }).first().waitFor();
  await page.waitForFunction(() => {
    const heads = [...document.querySelectorAll('table th[scope="row"]')];
    return heads.length > 0 && heads.every((th) => /sangria/i.test(th.textContent));
  });
  for (const title of await table.getByRole('rowheader').allInnerTexts()) {
    assert.match(title, /sangria/i);
  }
  await page.getByLabel('Buscar no título').fill('xyzzy');
  await page.getByRole('button', { name: 'Buscar', exact: true }).click();
  await page.getByText('Nenhum artigo com esses filtros.').waitFor();
  await assertAccessible(page);

  // By readers' votes: an article voted "not helpful" is among those that helped little, not those that helped well.
  const vote = await api(server.url, cookie, 'POST', '/kb/articles/emissao-de-nota-fiscal-eletronica-nf-e/feedback', { helpful: false });
  assert.equal(vote.status, 204);
  const NFE = 'Emissão de nota fiscal eletrônica (NF-e) passo a passo';
  await page.goto(`${server.url}/staff/kb?status=published&locale=pt-BR`);
  await table.getByRole('rowheader').first().waitFor();
  await page.getByLabel('Avaliação dos leitores').selectOption('low');
  await page.waitForURL(/helpfulness=low/);
  await table.getByRole('rowheader', { name: NFE }).waitFor();
  assert.match(await table.getByRole('row').filter({ hasText: NFE }).innerText(), /0 sim · 1 não/);
  await page.getByLabel('Avaliação dos leitores').selectOption('high');
  await page.waitForURL(/helpfulness=high/);
  await table.getByRole('rowheader', { name: NFE }).waitFor({ state: 'detached' });
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Artigos da base de conhecimento' }).waitFor();
  assert.equal(await page.getByLabel('Avaliação dos leitores').inputValue(), 'high');
  assertNoErrors(page);
});

test('an agent creates, renames and moves a category, and a new synonym group makes search find an article', async () => {
  // The server's refusals (a taken name, a one-term group) are expected answers, logged by the browser.
  const page = await signedIn('carla@suporte.demo', '/staff/kb', { allowed: ['422'] });
  await page.getByRole('navigation', { name: 'Base de conhecimento da equipe' })
    .getByRole('link', { name: 'Categorias e sinônimos' }).click();
  await page.getByRole('heading', { level: 1, name: 'Categorias e sinônimos' }).waitFor();
  const pt = page.getByRole('region', { name: 'Português (Brasil)' });
  await pt.getByRole('listitem').first().waitFor();
  assert.equal(await pt.getByRole('listitem').count(), 10);
  await assertAccessible(page);

  // A name already taken is refused, with the reason under the field.
  const form = page.getByRole('form', { name: 'Nova categoria' });
  await form.getByLabel('Nome').fill('Caixa e PDV');
  await form.getByRole('button', { name: 'Criar categoria' }).click();
  await form.getByText('Já existe uma categoria com este nome').waitFor();

  // A new category goes at the end of its language's list.
  await form.getByLabel('Nome').fill('Etiquetas de gôndola');
  await form.getByLabel('Descrição').fill('Impressão de etiquetas de preço para as gôndolas.');
  await form.getByLabel('Idioma da categoria').selectOption('pt-BR');
  await form.getByRole('button', { name: 'Criar categoria' }).click();
  await page.getByRole('status').filter({ hasText: 'Categoria “Etiquetas de gôndola” criada no fim da lista.' }).waitFor();
  await pt.getByRole('listitem').nth(10).filter({ hasText: 'Etiquetas de gôndola' }).waitFor();
  assert.equal(await form.getByLabel('Nome').inputValue(), '');
  assert.equal(await form.getByText('Já existe uma categoria com este nome').count(), 0);

  // Renamed: the slug stays, so links keep working.
  await pt.getByRole('button', { name: 'Renomear “Etiquetas de gôndola”' }).click();
  const rename = page.getByRole('form', { name: 'Renomear “Etiquetas de gôndola”' });
  await rename.getByLabel('Nome').fill('Etiquetas e gôndolas');
  await rename.getByRole('button', { name: 'Salvar' }).click();
  await page.getByRole('status').filter({ hasText: 'Categoria “Etiquetas e gôndolas” salva.' }).waitFor();
  const last = pt.getByRole('listitem').nth(10);
  await last.filter({ hasText: 'Etiquetas e gôndolas' }).waitFor();
  assert.match(await last.innerText(), /etiquetas-de-gondola/);

  // Moved up one place: it swaps with the category above, and the focus stays on the button.
  const names = () => pt.locator('.category-name').allInnerTexts();
  const before = await names();
  await pt.getByRole('button', { name: 'Subir “Etiquetas e gôndolas”' }).click();
  await page.getByRole('status').filter({ hasText: '“Etiquetas e gôndolas” agora está na posição 10 de 11.' }).waitFor();
  await pt.getByRole('listitem').nth(9).filter({ hasText: 'Etiquetas e gôndolas' }).waitFor();
  assert.deepEqual(await names(), [...before.slice(0, 9), before[10], before[9]]);
  await page.waitForFunction(() => document.activeElement?.textContent.includes('Subir'));
  assert.equal(await pt.getByRole('button', { name: 'Descer “Etiquetas e gôndolas”' }).isEnabled(), true);
  // The public list follows the new order.
  const publicList = await (await fetch(`${server.url}/api/v1/kb/categories?locale=pt-BR`)).json();
  assert.deepEqual(publicList.map((c) => c.name), await names());

  // Synonyms: a group with a single term is refused with the server's message, pointing at its line.
  const synonyms = page.getByLabel('Grupos de sinônimos');
  const original = await synonyms.inputValue();
  assert.match(original, /^pdv, caixa/m);
  const lines = original.split('\n').length;
  await synonyms.fill(`${original}\nzarabatana, sangria\nsozinho`);
  await page.getByRole('button', { name: 'Salvar sinônimos' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Os sinônimos não foram salvos.' });
  await alert.waitFor();
  assert.match(await alert.innerText(), new RegExp(`Linha ${lines + 2}: Cada grupo precisa de pelo menos dois termos.`));
  assert.equal(await synonyms.getAttribute('aria-invalid'), 'true');
  await assertAccessible(page);

  await synonyms.fill(`${original}\nZarabatana , sangria`);
  await page.getByRole('button', { name: 'Salvar sinônimos' }).click();
  await page.getByRole('status').filter({ hasText: `Sinônimos salvos: ${lines + 1} grupo(s).` }).waitFor();
  assert.match(await synonyms.inputValue(), /^zarabatana, sangria$/m);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Categorias e sinônimos' }).waitFor();
  await page.getByLabel('Grupos de sinônimos').waitFor();
  assert.match(await page.getByLabel('Grupos de sinônimos').inputValue(), /^zarabatana, sangria$/m);
  assertNoErrors(page);

  // Search now treats the new word as "sangria".
  const client = await newPage(browser, { locale: 'pt-BR' });
  await client.goto(server.url);
  await client.getByRole('combobox', { name: 'Pesquise na base de conhecimento' }).fill('zarabatana');
  await client.getByRole('listbox', { name: 'Resultados' }).getByRole('option', { name: /sangria/i }).first().waitFor();
  assertNoErrors(client);
});

test('a client cannot open the curation pages', async () => {
  const page = await signedIn('ana@mercadobompreco.demo', '/staff/kb/analytics');
  await page.getByRole('heading', { level: 1 }).filter({ hasNotText: 'Entrar' }).waitFor();
  assert.equal(await page.getByRole('table').count(), 0);
  assert.equal(await page.getByRole('navigation', { name: 'Base de conhecimento da equipe' }).count(), 0);
  assertNoErrors(page);
});
