// The article editor and its history, end to end: two editors save the same article (the second sees both
// versions in a dialog and keeps theirs knowingly, and the history holds both); an agent restores an older
// revision and the article shows it again; a draft survives a reload, a lost connection and a discard.

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

const signedIn = (email, path, opts) => signedInPage(browser, server.url, email, path, opts);

/** A published article of its own for each test, made through the API. */
async function createArticle(title, body) {
  const cookie = await apiLogin(server.url, 'carla@suporte.demo');
  const categories = await api(server.url, cookie, 'GET', '/kb/categories?locale=pt-BR');
  assert.equal(categories.status, 200);
  const r = await api(server.url, cookie, 'POST', '/kb/articles', {
    title,
    body_md: body,
    category_id: categories.body[0].id,
    locale: 'pt-BR',
    tags: ['caixa'],
    status: 'published',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Waits until a field holds `expected` (the editor fills it once the article is loaded). */
async function waitForValue(locator, expected) {
  const deadline = Date.now() + 10_000;
  let value;
  while (Date.now() < deadline) {
    value = await locator.inputValue();
    if (value === expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(value, expected);
}

function draftOf(page, id) {
  return page.evaluate((key) => JSON.parse(localStorage.getItem(key)), `kb-draft:${id}`);
}

test('two editors save the same article: the second sees both versions, keeps theirs, and the history has both', async () => {
  const token = `C${Date.now()}`;
  const title = `Conferência de caixa ${token}`;
  const article = await createArticle(title, 'Texto original do artigo.');
  const path = `/staff/kb/articles/${article.slug}`;
  const carla = await signedIn('carla@suporte.demo', path);
  // The refused save is a 409 in the console; that is the point of this test.
  const diego = await signedIn('diego@suporte.demo', path, { allowed: ['status of 409'] });
  for (const page of [carla, diego]) {
    await page.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor();
    await waitForValue(page.getByLabel('Texto (Markdown)'), 'Texto original do artigo.');
  }
  await carla.getByRole('region', { name: 'Pré-visualização' }).getByText('Texto original do artigo.').waitFor();
  await assertAccessible(carla);

  // Carla saves first.
  const carlaText = 'Versão da Carla: confira o caixa antes de fechar.';
  await carla.getByLabel('Texto (Markdown)').fill(carlaText);
  await carla.getByRole('button', { name: 'Salvar alterações' }).click();
  await carla.getByRole('status').filter({ hasText: /Salvo às .*\(revisão 2\)/ }).waitFor();

  // Diego, who started from revision 1, saves second: the dialog shows both versions.
  const diegoText = 'Versão do Diego: feche o caixa só depois da sangria.';
  await diego.getByLabel('Texto (Markdown)').fill(diegoText);
  await diego.getByRole('button', { name: 'Salvar alterações' }).click();
  const dialog = diego.getByRole('dialog', { name: 'Outra pessoa salvou este artigo enquanto você editava' });
  await dialog.waitFor();
  assert.equal(await dialog.getAttribute('aria-modal'), 'true');
  await dialog.getByText(/^Versão salva \(revisão 2, por Carla Mendes às \d{1,2}:\d\d:\d\d/).waitFor();
  // What differs is highlighted: Diego's line added, Carla's removed.
  const changes = dialog.getByRole('region', { name: 'O que a sua versão muda na versão salva' });
  await changes.locator('ins').filter({ hasText: diegoText }).waitFor();
  await changes.locator('del').filter({ hasText: carlaText }).waitFor();
  // The choices come before the texts, which can be long.
  const keep = dialog.getByRole('button', { name: 'Manter a minha versão' });
  assert.ok((await keep.boundingBox()).y < (await changes.boundingBox()).y, 'the buttons come first');
  // Both whole versions are one click away.
  await dialog.getByText('Ver as duas versões inteiras').click();
  await dialog.getByRole('heading', { name: 'Sua versão', exact: true }).waitFor();
  await dialog.locator('pre').filter({ hasText: carlaText }).waitFor();
  assert.ok(await diego.evaluate(() => Boolean(document.activeElement?.closest('dialog[open]'))), 'the focus is in the dialog');
  // Tab goes round the dialog's controls and never reaches the page behind.
  for (let i = 0; i < 8; i++) {
    await diego.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
    assert.ok(await diego.evaluate(() => Boolean(document.activeElement?.closest('dialog[open]'))), `Tab ${i + 1} stays in the dialog`);
  }
  await assertAccessible(diego);

  // Escape closes it and keeps the text (and the draft, still based on revision 1): the next save asks again.
  await diego.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await diego.waitForFunction(() => document.activeElement?.textContent?.trim() === 'Salvar alterações');
  assert.equal(await diego.getByLabel('Texto (Markdown)').inputValue(), diegoText);
  const draft = await draftOf(diego, article.id);
  assert.equal(draft.content.body_md, diegoText);
  assert.equal(draft.revision, 1);
  await diego.getByRole('button', { name: 'Salvar alterações' }).click();
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Manter a minha versão' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await diego.getByRole('status').filter({ hasText: /Salvo às .*\(revisão 3\)/ }).waitFor();
  assert.equal(await draftOf(diego, article.id), null, 'the draft is gone once saved');

  // The history holds both: Carla's revision 2 and Diego's revision 3.
  await diego.getByRole('link', { name: 'Histórico de revisões' }).click();
  await diego.getByRole('heading', { level: 1, name: `Histórico de “${title}”` }).waitFor();
  const rows = diego.getByRole('table', { name: 'Revisões, da mais nova para a mais antiga' }).locator('tbody tr');
  await rows.nth(2).waitFor();
  assert.equal(await rows.count(), 3);
  assert.match(await rows.nth(0).innerText(), /^3[\s\S]*Diego Ferreira/);
  assert.match(await rows.nth(1).innerText(), /^2[\s\S]*Carla Mendes/);
  assert.match(await rows.nth(2).innerText(), /^1[\s\S]*Carla Mendes/);
  // The diff compares the previous revision with the latest by default.
  assert.equal(await diego.getByLabel('De', { exact: true }).inputValue(), '2');
  assert.equal(await diego.getByLabel('Para', { exact: true }).inputValue(), '3');
  await diego.locator('del', { hasText: carlaText }).waitFor();
  await diego.locator('ins', { hasText: diegoText }).waitFor();
  await assertAccessible(diego);

  const cookie = await apiLogin(server.url, 'carla@suporte.demo');
  const revisions = await api(server.url, cookie, 'GET', `/kb/articles/${article.id}/revisions`);
  assert.deepEqual(revisions.body.map((r) => [r.revision, r.author?.name]), [[3, 'Diego Ferreira'], [2, 'Carla Mendes'], [1, 'Carla Mendes']]);
  assertNoErrors(carla);
  assertNoErrors(diego);
  await carla.context().close();
  await diego.context().close();
});

test('an agent restores an older revision from the history, and the article shows the restored text', async () => {
  const token = `R${Date.now()}`;
  const first = `Primeira versão ${token}: faça a sangria ao atingir R$ 500.`;
  const second = `Segunda versão ${token}: faça a sangria ao atingir R$ 800.`;
  const article = await createArticle(`Sangria no caixa ${token}`, first);
  const diego = await apiLogin(server.url, 'diego@suporte.demo');
  const updated = await api(server.url, diego, 'PUT', `/kb/articles/${article.id}`, {
    title: article.title,
    body_md: second,
    category_id: article.category.id,
    locale: article.locale,
    tags: article.tags,
    status: 'published',
    revision: article.revision,
  });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));

  const agent = await signedIn('carla@suporte.demo', `/staff/kb/articles/${article.slug}/history`);
  await agent.getByRole('heading', { level: 1, name: new RegExp(`Histórico de “Sangria no caixa ${token}”`) }).waitFor();
  await agent.locator('del', { hasText: first }).waitFor();
  await agent.locator('ins', { hasText: second }).waitFor();
  await assertAccessible(agent);

  // Restore asks first; cancelling changes nothing.
  await agent.getByRole('button', { name: 'Restaurar revisão 1' }).click();
  await agent.getByText('Restaurar a revisão 1?').waitFor();
  await agent.getByRole('button', { name: 'Cancelar' }).click();
  await agent.getByRole('button', { name: 'Restaurar revisão 1' }).click();
  await agent.getByRole('button', { name: 'Sim, restaurar' }).click();
  await agent.getByRole('status').filter({ hasText: 'Revisão 1 restaurada como revisão 3.' }).waitFor();
  const rows = agent.locator('.kbh-table tbody tr');
  await rows.nth(2).waitFor();
  assert.equal(await rows.count(), 3);
  assert.match(await rows.nth(0).innerText(), /^3[\s\S]*Carla Mendes/);
  // The diff now shows what the restore changed: from 2 to 3.
  await agent.locator('ins', { hasText: first }).waitFor();
  await agent.locator('del', { hasText: second }).waitFor();
  await assertAccessible(agent);

  // Any two revisions can be compared.
  await agent.getByLabel('De', { exact: true }).selectOption('1');
  await agent.getByText('O texto é o mesmo nas duas revisões.').waitFor();

  // The public article shows the restored text, and so does the editor.
  const reader = await newPage(browser);
  await reader.goto(`${server.url}/kb/${article.slug}`);
  await reader.getByText(first).waitFor();
  assert.equal(await reader.getByText(second).count(), 0);
  await agent.getByRole('link', { name: '← Voltar ao editor' }).click();
  await waitForValue(agent.getByLabel('Texto (Markdown)'), first);
  assertNoErrors(agent);
  assertNoErrors(reader);
  await agent.context().close();
  await reader.context().close();
});

test('the editor keeps its draft: through a reload, a lost connection, and until it is saved or discarded', async () => {
  const token = `D${Date.now()}`;
  const page = await signedIn('carla@suporte.demo', `/staff/kb/new?title=${encodeURIComponent(`Impressora fiscal ${token}`)}`, {
    allowed: ['Failed to load resource', 'ERR_FAILED'],
  });
  await page.getByRole('heading', { level: 1, name: 'Novo artigo' }).waitFor();
  // A search that found nothing becomes the title.
  assert.equal(await page.getByLabel('Título', { exact: true }).inputValue(), `Impressora fiscal ${token}`);
  const body = `## Impressora ${token}\n\nDesligue e ligue a **impressora** antes de reimprimir o cupom.`;
  await page.getByLabel('Texto (Markdown)').fill(body);
  await page.getByLabel('Etiquetas').fill('impressora, cupom');
  const preview = page.getByRole('region', { name: 'Pré-visualização' });
  await preview.getByRole('heading', { name: `Impressora ${token}` }).waitFor();
  await preview.locator('strong', { hasText: 'impressora' }).waitFor();

  await page.reload();
  await page.getByText('Recuperamos o rascunho guardado neste navegador').waitFor();
  await waitForValue(page.getByLabel('Texto (Markdown)'), body);
  assert.equal(await page.getByLabel('Etiquetas').inputValue(), 'impressora, cupom');
  assert.equal(await page.getByLabel('Título', { exact: true }).inputValue(), `Impressora fiscal ${token}`);
  await assertAccessible(page);

  // Saving without a category says so beside the field.
  await page.getByRole('button', { name: 'Salvar rascunho' }).click();
  await page.getByText('Escolha a categoria do artigo.').waitFor();
  await page.getByLabel('Categoria', { exact: true }).selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Salvar rascunho' }).click();
  await page.waitForURL(/\/staff\/kb\/articles\/impressora-fiscal-d\d+$/);
  await page.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('kb-draft:new')), null, 'the new draft is gone');
  await page.getByRole('status').filter({ hasText: 'Situação atual: Rascunho (revisão 1)' }).waitFor();

  // Editing an existing article: the connection drops on save, and nothing is lost.
  await waitForValue(page.getByLabel('Texto (Markdown)'), body);
  const edited = `${body}\n\nSe não voltar, troque a bobina.`;
  await page.getByLabel('Texto (Markdown)').fill(edited);
  await page.route('**/api/v1/kb/articles/*', (route) => (route.request().method() === 'PUT' ? route.abort('failed') : route.continue()));
  await page.getByRole('button', { name: 'Salvar rascunho' }).click();
  await page.getByRole('alert').filter({ hasText: 'Seu texto está guardado neste navegador' }).waitFor();
  assert.equal(await page.getByLabel('Texto (Markdown)').inputValue(), edited);
  await page.reload();
  await page.getByText('Recuperamos o rascunho guardado neste navegador').waitFor();
  await waitForValue(page.getByLabel('Texto (Markdown)'), edited);
  await page.unroute('**/api/v1/kb/articles/*');
  // Discarding the draft brings the saved text back.
  await page.getByRole('button', { name: 'Descartar rascunho' }).click();
  await waitForValue(page.getByLabel('Texto (Markdown)'), body);
  // And once typed again and published, the draft is gone for good.
  await page.getByLabel('Texto (Markdown)').fill(edited);
  await page.getByRole('button', { name: 'Publicar' }).click();
  await page.getByRole('status').filter({ hasText: /Salvo às .*\(revisão 2\)/ }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Situação atual: Publicado (revisão 2)' }).waitFor();
  await page.getByRole('link', { name: 'Ver na base pública' }).waitFor();
  // A published article offers to save changes or to take it off the air.
  await page.getByRole('button', { name: 'Salvar alterações' }).waitFor();
  await page.getByRole('button', { name: 'Salvar como rascunho (tirar do ar)' }).waitFor();
  await assertAccessible(page);
  await page.reload();
  await waitForValue(page.getByLabel('Texto (Markdown)'), edited);
  assert.equal(await page.getByText('Recuperamos o rascunho').count(), 0);
  // Archiving asks first, erases nothing, and the article can be published again.
  await page.getByRole('button', { name: 'Arquivar' }).click();
  await page.getByRole('button', { name: 'Sim, arquivar' }).click();
  await page.getByRole('status').filter({ hasText: 'Situação atual: Arquivado (revisão 3)' }).waitFor();
  await page.getByRole('button', { name: 'Publicar' }).waitFor();
  const drafts = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('kb-draft:')));
  assert.deepEqual(drafts, [], 'nothing left unsaved');
  assertNoErrors(page);
  await page.context().close();
});

// A real 1×1 PNG (a screenshot of the step, as far as the server can tell).
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

test('an agent inserts a screenshot into an article, and a reader who is not signed in sees it', async () => {
  const token = `I${Date.now()}`;
  const article = await createArticle(`Emitir a NFC-e em contingência ${token}`, 'Abra o menu Fiscal.');
  const agent = await signedIn('carla@suporte.demo', `/staff/kb/articles/${article.slug}`);
  const body = agent.getByLabel('Texto (Markdown)');
  await waitForValue(body, 'Abra o menu Fiscal.');
  await agent.getByLabel('Inserir uma imagem').setInputFiles({ name: 'menu-fiscal.png', mimeType: 'image/png', buffer: Buffer.from(PNG, 'base64') });
  await agent.getByText('Imagem inserida no fim do texto: menu-fiscal.png').waitFor();
  const text = await body.inputValue();
  assert.match(text, /^Abra o menu Fiscal\.\n\n!\[menu-fiscal\]\(\/api\/v1\/attachments\/\d+\)\n$/);
  // The preview shows the picture before it is saved.
  await agent.locator('.kbe-preview img[alt="menu-fiscal"]').waitFor();
  await assertAccessible(agent);
  await agent.getByRole('button', { name: 'Salvar alterações' }).click();
  await agent.getByRole('status').filter({ hasText: /Salvo às .*\(revisão 2\)/ }).waitFor();

  const reader = await newPage(browser);
  await reader.goto(`${server.url}/kb/${article.slug}`);
  const picture = reader.getByRole('img', { name: 'menu-fiscal' });
  await picture.waitFor();
  await reader.waitForFunction(() => {
    const img = document.querySelector('.article-body img');
    return img && img.complete && img.naturalWidth === 1;
  });
  await assertAccessible(reader);
  assertNoErrors(agent);
  assertNoErrors(reader);
  await agent.context().close();
  await reader.context().close();
});
