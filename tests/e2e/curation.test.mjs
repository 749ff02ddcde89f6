// FAQ curation, end to end: an agent writes and publishes an article that a client then finds by searching,
// with a typo and without accents; and a ticket's question and answers become a draft article in one click,
// without the internal notes.

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

test('an agent writes and publishes an article, and a client finds it by search', async () => {
  const agent = await signedIn('carla@suporte.demo', '/staff/kb');
  await agent.getByRole('heading', { level: 1, name: 'Artigos da base de conhecimento' }).waitFor();
  await agent.getByRole('main').getByRole('link', { name: 'Novo artigo' }).first().click();
  await agent.getByRole('heading', { level: 1, name: 'Novo artigo' }).waitFor();

  await agent.getByLabel('Título', { exact: true }).fill('Balança Toledo não comunica com o caixa');
  await agent.getByLabel('Categoria').selectOption({ index: 1 });
  await agent.getByLabel('Etiquetas').fill('balança, toledo');
  await agent.getByLabel('Texto (Markdown)').fill(
    'Quando a **balança** para de comunicar:\n\n1. Confira o cabo serial.\n2. Reinicie o serviço de pesagem.\n\n<script>alert(1)</script>',
  );
  // The preview is the server's rendering: Markdown becomes HTML and the script is gone.
  const preview = agent.getByRole('region', { name: 'Pré-visualização' });
  await preview.locator('strong', { hasText: 'balança' }).waitFor();
  await preview.getByRole('listitem').filter({ hasText: 'Reinicie o serviço de pesagem.' }).waitFor();
  assert.equal(await preview.locator('script').count(), 0);
  await assertAccessible(agent);

  await agent.getByRole('button', { name: 'Publicar' }).click();
  await agent.waitForURL(/\/staff\/kb\/articles\/balanca-toledo-nao-comunica-com-o-caixa$/);
  await agent.getByRole('status').getByText('Publicado').first().waitFor();

  // Its English version, linked to it as a translation.
  await agent.getByRole('link', { name: 'Escrever a versão em inglês' }).click();
  await agent.getByRole('heading', { level: 1, name: 'Novo artigo' }).waitFor();
  assert.equal(await agent.getByLabel('Idioma do artigo').inputValue(), 'en');
  await agent.getByLabel('Título', { exact: true }).fill('Toledo scale does not talk to the register');
  await agent.getByLabel('Categoria').selectOption({ index: 1 });
  await agent.getByLabel('Texto (Markdown)').fill('Check the serial cable, then restart the weighing service.');
  await agent.getByRole('button', { name: 'Publicar' }).click();
  await agent.waitForURL(/\/staff\/kb\/articles\/toledo-scale-does-not-talk-to-the-register$/);
  await agent.getByRole('status').getByText('Publicado').first().waitFor();
  assertNoErrors(agent);

  // A client, not signed in, types without accents and with a typo.
  const client = await newPage(browser);
  await client.goto(server.url);
  await client.getByRole('combobox', { name: 'Pesquise na base de conhecimento' }).fill('balanca tolledo');
  const hit = client.getByRole('option').filter({ hasText: 'Balança Toledo não comunica com o caixa' });
  await hit.waitFor();
  await hit.click();
  await client.getByRole('heading', { level: 1, name: 'Balança Toledo não comunica com o caixa' }).waitFor();
  await client.getByText('Reinicie o serviço de pesagem.').waitFor();
  await client.getByRole('link', { name: 'Read in English' }).click();
  await client.getByRole('heading', { level: 1, name: 'Toledo scale does not talk to the register' }).waitFor();
  assertNoErrors(client);
});

test('"Create article from this ticket" opens a draft with the question and the answer, without the notes', async () => {
  const rui = await apiLogin(server.url, 'rui@mercadobompreco.demo');
  const carla = await apiLogin(server.url, 'carla@suporte.demo');
  const created = await api(server.url, rui, 'POST', '/tickets', {
    subject: 'Como cancelar um cupom já emitido no caixa',
    description: 'Emiti um cupom com o valor errado. Como cancelo?',
    priority: 'normal',
  });
  assert.equal(created.status, 201);
  const id = created.body.id;
  assert.equal((await api(server.url, carla, 'POST', `/tickets/${id}/messages`, {
    body: 'No caixa, abra Vendas > Cancelar cupom e informe o número do cupom.',
  })).status, 201);
  assert.equal((await api(server.url, carla, 'POST', `/tickets/${id}/messages`, {
    body: 'Nota: cliente já ligou duas vezes hoje.',
    internal: true,
  })).status, 201);

  const agent = await signedIn('carla@suporte.demo', `/tickets/${id}`);
  await agent.getByRole('heading', { level: 1, name: /Como cancelar um cupom já emitido no caixa/ }).waitFor();
  await agent.getByRole('button', { name: 'Criar artigo a partir deste chamado' }).click();
  await agent.waitForURL(/\/staff\/kb\/articles\/como-cancelar-um-cupom-ja-emitido-no-caixa/);
  assert.equal(await agent.getByLabel('Título', { exact: true }).inputValue(), 'Como cancelar um cupom já emitido no caixa');
  const body = await agent.getByLabel('Texto (Markdown)').inputValue();
  assert.match(body, /Como cancelo\?/);
  assert.match(body, /Vendas > Cancelar cupom/);
  assert.doesNotMatch(body, /ligou duas vezes/);
  await assertAccessible(agent);
  assertNoErrors(agent);
});
