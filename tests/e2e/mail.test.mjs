// E-mail out, end to end: the portal sends through a real SMTP server (MailDev) and the test follows the
// links of the mails it received, as the person they were written to would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, assertNoErrors, assertAccessible, signIn, signedInPage, apiLogin, api,
  linkIn, DEMO_PASSWORD,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer([], { mail: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const signedIn = (email, path, opts) => signedInPage(browser, server.url, email, path, opts);

test('a client who forgot the password chooses a new one from the mail; other sessions end', async () => {
  // An account of its own: the other tests sign in with the demo password.
  const email = 'lia@petfeliz.demo';
  const adminCookie = await apiLogin(server.url, 'admin@suporte.demo');
  const orgs = await api(server.url, adminCookie, 'GET', '/organizations');
  const created = await api(server.url, adminCookie, 'POST', '/users', {
    email, name: 'Lia Torres', role: 'client', organization_id: orgs.body.find((o) => o.name === 'Pet Feliz').id,
    password: DEMO_PASSWORD,
  });
  assert.equal(created.status, 201);
  const elsewhere = await apiLogin(server.url, email);
  const page = await newPage(browser, { allowed: ['422'] });
  await page.goto(`${server.url}/login`);
  await page.getByRole('link', { name: 'Esqueci minha senha' }).click();
  await page.getByRole('heading', { level: 1, name: 'Esqueci minha senha' }).waitFor();
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Enviar o link' }).click();
  await page.getByText('Se houver uma conta com este e-mail, o link já está a caminho.', { exact: false }).waitFor();

  const mail = await server.mail.waitFor(email, /Redefinição da sua senha/);
  const link = linkIn(mail, `${server.url}/account/reset?token=`);
  await page.goto(link);
  await page.getByRole('heading', { level: 1, name: 'Escolha uma nova senha' }).waitFor();
  await assertAccessible(page);
  const password = 'nova-senha-do-rui-2026';
  await page.getByLabel('Nova senha', { exact: true }).fill(password);
  await page.getByLabel('Repita a nova senha').fill(password);
  await page.getByRole('button', { name: 'Salvar a nova senha e entrar' }).click();
  await page.getByRole('banner').getByText('Lia Torres').waitFor();

  // The session opened before the reset is over; the new password works and the old one does not.
  assert.equal((await api(server.url, elsewhere, 'GET', '/me')).status, 401);
  await apiLogin(server.url, email, password);
  const old = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  assert.equal(old.status, 401);

  // The link works once.
  const again = await newPage(browser, { allowed: ['422'] });
  await again.goto(link);
  await again.getByLabel('Nova senha', { exact: true }).fill('mais-uma-senha-2026');
  await again.getByLabel('Repita a nova senha').fill('mais-uma-senha-2026');
  await again.getByRole('button', { name: 'Salvar a nova senha e entrar' }).click();
  await again.getByRole('alert').getByText('Este link já foi usado ou expirou', { exact: false }).waitFor();
  assertNoErrors(page);
  assertNoErrors(again);
});

test('a client follows "nova resposta" from the mail and lands on the ticket signed in, that ticket only', async () => {
  const client = 'bruno@petfeliz.demo';
  const bruno = await apiLogin(server.url, client);
  const opened = await api(server.url, bruno, 'POST', '/tickets', {
    subject: 'Balança não comunica com o caixa 3', description: 'Desde ontem a balança não envia o peso.',
  });
  assert.equal(opened.status, 201);
  const id = opened.body.id;
  const carla = await apiLogin(server.url, 'carla@suporte.demo');
  const reply = await api(server.url, carla, 'POST', `/tickets/${id}/messages`, {
    body: 'Reinicie o serviço da balança pelo menu Configurações e teste de novo.',
  });
  assert.equal(reply.status, 201);

  const mail = await server.mail.waitFor(client, new RegExp(`^\\[#${id}\\] Nova resposta`));
  assert.match(mail.text, /Reinicie o serviço da balança/);
  assert.equal(mail.headers['auto-submitted'], 'auto-generated');
  const link = linkIn(mail, `${server.url}/tickets/${id}?link=`);

  const page = await newPage(browser);
  await page.goto(link);
  await page.getByRole('heading', { level: 1, name: 'Balança não comunica com o caixa 3' }).waitFor();
  await page.getByText('Reinicie o serviço da balança pelo menu Configurações').waitFor();
  await page.getByRole('banner').getByText('Bruno', { exact: false }).first().waitFor();
  await assertAccessible(page);
  // The link is taken out of the address once used.
  await page.waitForURL((u) => u.pathname === `/tickets/${id}` && !u.searchParams.has('link'));
  // Anything else asks for the password.
  await page.goto(`${server.url}/tickets`);
  await page.waitForURL((u) => u.pathname === '/login');
  assertNoErrors(page);

  // A second use of the same link signs nobody in.
  const again = await newPage(browser, { allowed: ['422'] });
  await again.goto(link);
  await again.getByRole('alert').first().waitFor();
  assert.equal(await again.getByRole('banner').getByText('Bruno', { exact: false }).count(), 0);
});

test('an admin invites a client, who chooses a password from the mail and signs in; then disables them', async () => {
  const admin = await signedIn('admin@suporte.demo', '/staff/users');
  await admin.getByRole('heading', { level: 1, name: 'Pessoas e organizações' }).waitFor();
  await admin.getByRole('cell', { name: 'carla@suporte.demo' }).waitFor();
  await assertAccessible(admin);
  const email = 'paula@mercadobompreco.demo';
  const f = admin.locator('form', { has: admin.getByRole('heading', { name: 'Convidar uma pessoa' }) });
  await f.getByLabel('Nome', { exact: true }).fill('Paula Nogueira');
  await f.getByLabel('E-mail', { exact: true }).fill(email);
  await f.getByLabel('Papel', { exact: true }).selectOption('client');
  await f.getByLabel('Organização', { exact: true }).selectOption({ label: 'Mercado Bom Preço' });
  await f.getByRole('button', { name: 'Enviar convite' }).click();
  await admin.getByRole('status').getByText(`Convite enviado para ${email}.`).waitFor();
  const row = admin.getByRole('row').filter({ hasText: email });
  await row.getByText('Convite enviado').waitFor();

  const mail = await server.mail.waitFor(email, /convite|Convite/);
  const link = linkIn(mail, `${server.url}/account/invite?token=`);
  const paula = await newPage(browser);
  await paula.goto(link);
  await paula.getByRole('heading', { level: 1, name: 'Boas-vindas! Crie a sua senha' }).waitFor();
  await assertAccessible(paula);
  const password = 'senha-da-paula-2026';
  await paula.getByLabel('Nova senha', { exact: true }).fill(password);
  await paula.getByLabel('Repita a nova senha').fill(password);
  await paula.getByRole('button', { name: 'Criar a senha e entrar' }).click();
  await paula.getByRole('banner').getByText('Paula Nogueira').waitFor();
  await paula.getByRole('banner').getByRole('button', { name: 'Sair' }).click();
  await paula.goto(`${server.url}/login`);
  await signIn(paula, email, password);
  await paula.getByRole('banner').getByText('Paula Nogueira').waitFor();
  assertNoErrors(paula);

  // Back on the admin's page the account is active; disabling it ends its session.
  await admin.reload();
  const active = admin.getByRole('row').filter({ hasText: email });
  await active.getByText('Ativa', { exact: true }).waitFor();
  await active.getByRole('button', { name: 'Desativar Paula Nogueira' }).click();
  await admin.getByRole('status').getByText('A conta de Paula Nogueira foi desativada', { exact: false }).waitFor();
  await admin.getByRole('row').filter({ hasText: email }).getByText('Desativada').waitFor();
  const refused = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  assert.notEqual(refused.status, 200);
  assertNoErrors(admin);
});

test('an agent adds a caller as a new client while logging a phone ticket', async () => {
  const page = await signedIn('carla@suporte.demo', '/tickets/new');
  await page.getByLabel('Cliente (chamado registrado pela equipe)').waitFor();
  await page.getByRole('button', { name: 'Cliente novo? Cadastrar' }).click();
  await page.getByLabel('Nome', { exact: true }).fill('Otávio Ramos');
  const email = 'otavio@petfeliz.demo';
  await page.locator('#add-client-email').fill(email);
  await page.getByLabel('Organização').selectOption({ label: 'Pet Feliz' });
  await assertAccessible(page);
  await page.getByRole('button', { name: 'Cadastrar cliente' }).click();
  // The new client is the ticket's requester.
  await page.waitForFunction(() => document.querySelector('#ticket-requester')?.selectedOptions[0]?.textContent.includes('Otávio Ramos'));
  await page.getByLabel('Assunto').fill('Impressora fiscal sem papel não avisa');
  await page.getByLabel('Descreva o problema').fill('Cliente ligou: a impressora não mostra aviso quando o papel acaba.');
  await page.getByRole('button', { name: 'Enviar chamado' }).click();
  await page.getByRole('heading', { level: 1, name: 'Impressora fiscal sem papel não avisa' }).waitFor();
  await page.getByText('Otávio Ramos').first().waitFor();
  // The caller is invited to follow it.
  await server.mail.waitFor(email, /convite|Convite/);
  assertNoErrors(page);
});

test('each role chooses its notifications, and the choice is kept', async () => {
  const client = await signedIn('rui@mercadobompreco.demo', '/account/notifications');
  await client.getByRole('heading', { level: 1, name: 'Notificações por e-mail' }).waitFor();
  await assertAccessible(client);
  const own = client.getByLabel('Os meus chamados', { exact: false });
  assert.equal(await own.isChecked(), true);
  assert.equal(await client.getByLabel('Os chamados atribuídos a mim', { exact: false }).count(), 0);
  assert.equal(await client.getByLabel('Os outros chamados da minha organização').count(), 0);
  await own.uncheck();
  await client.getByRole('button', { name: 'Salvar preferências' }).click();
  await client.getByRole('status').getByText('Preferências salvas.').waitFor();
  await client.reload();
  await client.getByRole('heading', { level: 1, name: 'Notificações por e-mail' }).waitFor();
  assert.equal(await client.getByLabel('Os meus chamados', { exact: false }).isChecked(), false);
  assertNoErrors(client);

  const manager = await signedIn('ana@mercadobompreco.demo', '/account/notifications');
  await manager.getByLabel('Os outros chamados da minha organização').waitFor();
  await manager.getByLabel('Um resumo diário', { exact: false }).check();
  await manager.getByRole('button', { name: 'Salvar preferências' }).click();
  await manager.getByRole('status').getByText('Preferências salvas.').waitFor();

  const agent = await signedIn('carla@suporte.demo', '/account/notifications');
  await agent.getByLabel('Os chamados atribuídos a mim', { exact: false }).waitFor();
  assert.equal(await agent.getByLabel('Um resumo diário', { exact: false }).count(), 0);
  await assertAccessible(agent);
  assertNoErrors(manager);
  assertNoErrors(agent);
});
