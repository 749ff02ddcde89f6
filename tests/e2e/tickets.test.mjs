// Tickets, end to end: a client opens one (with a knowledge-base suggestion beside the form), an agent answers
// in another browser, the answer appears for the client without a reload, the client replies, the agent
// resolves, the client reopens. And the lost-network case: the answer to the submission is lost, the portal
// retries with the same Idempotency-Key, and exactly one ticket exists.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, assertNoErrors, assertAccessible, signIn, apiLogin, api, signedInPage } from './harness.mjs';

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

async function countTickets(token) {
  const cookie = await apiLogin(server.url, 'carla@suporte.demo');
  const r = await api(server.url, cookie, 'GET', `/tickets?status=all&q=${encodeURIComponent(token)}`);
  assert.equal(r.status, 200);
  return r.body.total;
}

test('a client opens a ticket, an agent answers, the client sees it live, replies; resolve and reopen', async () => {
  const token = `T${Date.now()}`;
  const client = await signedIn('ana@mercadobompreco.demo', '/tickets/new');
  await client.getByRole('heading', { level: 1, name: 'Abrir um chamado' }).waitFor();
  await client.getByLabel('Assunto').fill(`NFC-e rejeitada no caixa 3 ${token}`);
  // A knowledge-base article is suggested while the question is typed.
  await client.getByRole('complementary', { name: 'Artigos que podem resolver' }).getByRole('link').first().waitFor();
  await client.getByLabel('Descreva o problema').fill('Desde as 9h o caixa 3 mostra **rejeição 539** ao emitir.');
  await client.getByLabel('Prioridade').selectOption('high');
  await client.getByText('Primeira resposta em até 2 horas úteis').waitFor();
  await client.getByRole('button', { name: 'Pré-visualizar' }).click();
  await client.getByRole('region', { name: 'Pré-visualizar' }).locator('strong', { hasText: 'rejeição 539' }).waitFor();
  await assertAccessible(client);
  await client.getByRole('button', { name: 'Enviar chamado' }).click();
  await client.getByRole('heading', { level: 1, name: new RegExp(`NFC-e rejeitada no caixa 3 ${token}`) }).waitFor();
  const ticketUrl = client.url();
  const id = Number(ticketUrl.split('/').pop());
  assert.ok(id > 0);
  await client.getByText('Primeira resposta prevista até').waitFor();
  await assertAccessible(client);
  // The client starts typing while the agent works: live updates must not disturb it.
  await client.getByLabel('Sua mensagem').fill('Rascunho em andamento');

  // The agent, in another browser context, finds it in the queue and answers it.
  const agent = await signedIn('carla@suporte.demo', '/tickets');
  await agent.getByRole('heading', { level: 1, name: 'Fila de chamados' }).waitFor();
  await agent.getByLabel('Buscar nos chamados').fill(token);
  await agent.getByRole('button', { name: 'Buscar' }).click();
  await agent.getByRole('link', { name: new RegExp(token) }).click();
  await agent.getByLabel('Sua mensagem').fill('Nota: cliente com certificado vencendo.');
  await agent.getByLabel('Nota interna (o cliente não vê)').check();
  await agent.getByRole('button', { name: 'Salvar nota interna' }).click();
  await agent.getByText('Nota interna — só a equipe vê').waitFor();
  await agent.getByLabel('Sua mensagem').fill('Olá! Reenvie a nota pela tela de **pendências**.');
  await agent.getByRole('button', { name: 'Enviar resposta' }).click();
  await agent.locator('.event-body', { hasText: 'Reenvie a nota' }).waitFor();
  await assertAccessible(agent);

  // The answer appears for the client without a reload; the note never does.
  await client.locator('.event-body', { hasText: 'Reenvie a nota' }).waitFor({ timeout: 15_000 });
  assert.equal(await client.getByText('cliente com certificado vencendo').count(), 0);
  assert.equal(await client.getByLabel('Sua mensagem').inputValue(), 'Rascunho em andamento');
  assert.equal(await client.evaluate(() => document.activeElement?.id), 'ticket-reply');
  await client.getByText('Primeira resposta em').waitFor();
  await client.getByLabel('Sua mensagem').fill('Funcionou, obrigada!');
  await client.getByRole('button', { name: 'Enviar resposta' }).click();
  await client.locator('.event-body', { hasText: 'Funcionou, obrigada!' }).waitFor();
  // Each event carries its exact time.
  const times = await client.locator('.timeline time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
  assert.ok(times.length >= 3 && times.every((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(t)), times.join());

  await agent.locator('.event-body', { hasText: 'Funcionou, obrigada!' }).waitFor({ timeout: 15_000 });
  await agent.getByLabel('Situação', { exact: true }).selectOption('resolved');
  await agent.getByText('Status alterado de Aberto para Resolvido').waitFor();

  await client.getByRole('button', { name: 'Reabrir chamado' }).waitFor({ timeout: 15_000 });
  await client.getByRole('button', { name: 'Reabrir chamado' }).click();
  await client.getByText('Status alterado de Resolvido para Aberto').waitFor();
  assertNoErrors(client);
  assertNoErrors(agent);
  await client.context().close();
  await agent.context().close();
});

test('a draft survives a reload, and the list shows the ticket in the active tab', async () => {
  const token = `D${Date.now()}`;
  const page = await signedIn('rui@mercadobompreco.demo', '/tickets/new');
  await page.getByLabel('Assunto').fill(`Balança não imprime etiqueta ${token}`);
  await page.getByLabel('Descreva o problema').fill('A etiqueta sai em branco.');
  await page.reload();
  await page.getByText('Recuperamos o rascunho').waitFor();
  assert.equal(await page.getByLabel('Assunto').inputValue(), `Balança não imprime etiqueta ${token}`);
  assert.equal(await page.getByLabel('Descreva o problema').inputValue(), 'A etiqueta sai em branco.');
  await page.getByRole('button', { name: 'Enviar chamado' }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor();
  await page.getByRole('link', { name: '← Voltar aos chamados' }).click();
  await page.getByRole('heading', { level: 1, name: 'Meus chamados' }).waitFor();
  await page.getByRole('link', { name: new RegExp(token) }).waitFor();
  await assertAccessible(page);
  // The form is empty again for the next ticket.
  await page.goto(`${server.url}/tickets/new`);
  await page.getByLabel('Assunto').waitFor();
  assert.equal(await page.getByLabel('Assunto').inputValue(), '');
  assertNoErrors(page);
  await page.context().close();
});

test('when the answer to a submission is lost, the retry with the same key makes exactly one ticket', async () => {
  const token = `N${Date.now()}`;
  const page = await signedIn('bruno@petfeliz.demo', '/tickets/new', { allowed: ['Failed to load resource', 'ERR_FAILED'] });
  await page.getByLabel('Assunto').fill(`Pedido da loja virtual não baixou o estoque ${token}`);
  await page.getByLabel('Descreva o problema').fill('O pedido 1042 foi pago mas o estoque não mudou.');
  // The request reaches the server, but its answer never reaches the browser.
  let delivered = 0;
  await page.route('**/api/v1/tickets', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    await route.fetch();
    delivered += 1;
    await route.abort('failed');
  });
  await page.getByRole('button', { name: 'Enviar chamado' }).click();
  await page.getByRole('alert').filter({ hasText: 'Não foi possível falar com o servidor' }).waitFor();
  assert.equal(delivered, 1);
  assert.equal(await countTickets(token), 1, 'the server made the ticket once');
  // What was typed is still there.
  assert.match(await page.getByLabel('Assunto').inputValue(), new RegExp(token));
  // The network comes back: the automatic retry answers the same ticket, not a second one.
  await page.unroute('**/api/v1/tickets');
  await page.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor({ timeout: 20_000 });
  assert.equal(await countTickets(token), 1, 'still exactly one ticket');
  assertNoErrors(page);
  await page.context().close();
});

test('another organization\'s ticket answers "not found"', async () => {
  const cookie = await apiLogin(server.url, 'ana@mercadobompreco.demo');
  const created = await api(server.url, cookie, 'POST', '/tickets', { subject: 'Só da Mercado', description: 'Interno' });
  assert.equal(created.status, 201);
  const page = await signedIn('bruno@petfeliz.demo', `/tickets/${created.body.id}`, { allowed: ['404'] });
  await page.getByRole('heading', { level: 1, name: 'Página não encontrada' }).waitFor();
  assert.equal(await page.getByText('Só da Mercado').count(), 0);
  assertNoErrors(page);
  await page.context().close();
});

test('an agent logs a ticket taken by phone on behalf of a client, who then sees it', async () => {
  const token = `P${Date.now()}`;
  const agent = await signedIn('diego@suporte.demo', '/tickets/new');
  await agent.getByRole('heading', { level: 1, name: 'Abrir um chamado' }).waitFor();
  const requester = agent.getByLabel('Cliente (chamado registrado pela equipe)');
  await requester.locator('option', { hasText: 'rui@mercadobompreco.demo' }).waitFor({ state: 'attached' });
  await requester.selectOption({ label: (await requester.locator('option', { hasText: 'rui@mercadobompreco.demo' }).innerText()).trim() });
  await agent.getByLabel('Recebido por').selectOption('phone');
  await agent.getByLabel('Assunto').fill(`Ligação: sangria não fecha ${token}`);
  await agent.getByLabel('Descreva o problema').fill('Cliente ligou às 10h.');
  await assertAccessible(agent);
  await agent.getByRole('button', { name: 'Enviar chamado' }).click();
  await agent.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor();
  await agent.getByText('Telefone').waitFor();
  assertNoErrors(agent);
  await agent.context().close();

  const cookie = await apiLogin(server.url, 'rui@mercadobompreco.demo');
  const mine = await api(server.url, cookie, 'GET', `/tickets?status=all&q=${token}`);
  assert.equal(mine.body.total, 1);
  assert.equal(mine.body.items[0].channel, 'phone');
});

test('a client rates a resolved ticket, changes the rating, and a low score escalates it for staff', async () => {
  const token = `R${Date.now()}`;
  const clientCookie = await apiLogin(server.url, 'ana@mercadobompreco.demo');
  const created = await api(server.url, clientCookie, 'POST', '/tickets', { subject: `TEF travado ${token}`, description: 'O pinpad não responde.' });
  assert.equal(created.status, 201);
  const id = created.body.id;
  const staffCookie = await apiLogin(server.url, 'carla@suporte.demo');
  // Support answers (a ticket nobody answered has no service to rate), then resolves it.
  assert.equal((await api(server.url, staffCookie, 'POST', `/tickets/${id}/messages`, { body: 'Reinicie o pinpad pelo menu TEF.' })).status, 201);
  assert.equal((await api(server.url, staffCookie, 'PATCH', `/tickets/${id}`, { status: 'resolved' })).status, 200);

  const page = await signedIn('ana@mercadobompreco.demo', '/tickets?status=resolved');
  // The list says which resolved tickets wait for a rating.
  const row = page.getByRole('row').filter({ hasText: token });
  await row.getByText('aguardando sua avaliação').waitFor();
  await row.getByRole('link').click();
  await page.getByRole('radio', { name: '5 — Muito satisfeito' }).waitFor();
  // Nothing is saved by opening the page: the ticket has no rating yet.
  assert.equal((await api(server.url, clientCookie, 'GET', `/tickets/${id}`)).body.rating, null);
  await assertAccessible(page);
  await page.getByRole('radio', { name: '5 — Muito satisfeito' }).check();
  await page.getByLabel('Comentário (opcional)').fill('Resolvido rápido!');
  await page.getByRole('button', { name: 'Enviar avaliação' }).click();
  await page.getByText('Obrigado pela sua avaliação!').waitFor();
  assert.equal((await api(server.url, clientCookie, 'GET', `/tickets/${id}`)).body.rating.score, 5);

  // Changed within 7 days: the new score replaces the old one; a 1 escalates the ticket.
  await page.getByRole('button', { name: /Alterar sua avaliação/ }).click();
  await page.getByRole('radio', { name: '1 — Muito insatisfeito' }).check();
  await page.getByRole('button', { name: 'Salvar nova avaliação' }).click();
  await page.getByText('Obrigado pela sua avaliação!').waitFor();
  const after = (await api(server.url, clientCookie, 'GET', `/tickets/${id}`)).body;
  assert.equal(after.rating.score, 1);
  assert.equal(after.escalated, true);
  assertNoErrors(page);
  await page.context().close();

  const queue = await api(server.url, staffCookie, 'GET', `/tickets?status=all&escalated=true&q=${token}`);
  assert.equal(queue.body.total, 1);
});

test('a session that ends mid-use keeps what was typed: sign in again and the draft is there', async () => {
  const token = `S${Date.now()}`;
  const page = await signedIn('rui@mercadobompreco.demo', '/tickets/new', { allowed: ['401'] });
  await page.getByLabel('Assunto').fill(`Sessão expirou ${token}`);
  await page.getByLabel('Descreva o problema').fill('Texto longo que não pode se perder.');
  // The session ends on the server side (here: the cookie is gone), then the client submits.
  await page.context().clearCookies();
  await page.getByRole('button', { name: 'Enviar chamado' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Sua sessão terminou' });
  await alert.waitFor();
  assert.match(await page.getByLabel('Assunto').inputValue(), new RegExp(token));
  await alert.getByRole('link', { name: 'Entrar' }).click();
  await signIn(page, 'rui@mercadobompreco.demo');
  await page.getByText('Recuperamos o rascunho').waitFor();
  assert.equal(await page.getByLabel('Descreva o problema').inputValue(), 'Texto longo que não pode se perder.');
  await page.getByRole('button', { name: 'Enviar chamado' }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(token) }).waitFor();
  assertNoErrors(page);
  await page.context().close();
});
