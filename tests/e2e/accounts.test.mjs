// Signing in and out, roles in the header, staff-only pages.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, assertNoErrors, assertAccessible, signIn } from './harness.mjs';

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

test('a client signs in and out; the header shows name and role and no staff navigation', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/login`);
  await page.getByRole('heading', { level: 1, name: 'Entrar' }).waitFor();
  await assertAccessible(page);
  await signIn(page, 'ana@mercadobompreco.demo');
  const header = page.getByRole('banner');
  await header.getByText('Ana Souza').waitFor();
  await header.getByText('Cliente (gestor)').waitFor();
  await page.getByText('Olá, Ana Souza!').waitFor();
  assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Área da equipe' }).count(), 0);
  await header.getByRole('button', { name: 'Sair' }).click();
  await header.getByRole('link', { name: 'Entrar' }).waitFor();
  assert.equal(await header.getByText('Ana Souza').count(), 0);
  // The session is gone on the server too.
  await page.reload();
  await header.getByRole('link', { name: 'Entrar' }).waitFor();
  assertNoErrors(page);
});

test('an agent signs in, sees the staff navigation and publishes an announcement', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/login`);
  await signIn(page, 'carla@suporte.demo');
  await page.getByRole('banner').getByText('Atendente').waitFor();
  await page.getByRole('navigation').getByRole('link', { name: 'Área da equipe' }).click();
  await page.getByRole('heading', { level: 1, name: 'Área da equipe' }).waitFor();
  await assertAccessible(page);
  await page.getByLabel('Tipo').selectOption('maintenance');
  await page.getByLabel('Título em português').fill('Manutenção programada do servidor');
  await page.getByLabel('Texto em português (Markdown)').fill('O portal ficará fora do ar das 22h às 23h.');
  await page.getByLabel('Título em inglês').fill('Scheduled server maintenance');
  await page.getByLabel('Texto em inglês (Markdown)').fill('The portal will be down from 10 pm to 11 pm.');
  await page.getByRole('button', { name: 'Publicar aviso' }).click();
  await page.getByRole('listitem').getByText('Manutenção programada do servidor').waitFor();
  await page.goto(server.url);
  await page.getByRole('region', { name: 'Avisos' }).getByText('Manutenção programada do servidor').waitFor();
  // A reader in English gets the English text of the same announcement.
  const english = await newPage(browser, { locale: 'en' });
  await english.goto(server.url);
  const notices = english.getByRole('region', { name: 'Announcements' });
  await notices.getByText('Scheduled server maintenance').waitFor();
  assert.equal(await notices.getByText('Manutenção programada do servidor').count(), 0);
  await english.close();
  await page.getByRole('banner').getByRole('button', { name: 'Sair' }).click();
  await page.getByRole('banner').getByRole('link', { name: 'Entrar' }).waitFor();
  assertNoErrors(page);
});

test('a wrong password shows the error and keeps the e-mail', async () => {
  const page = await newPage(browser, { allowed: ['401'] });
  await page.goto(`${server.url}/login`);
  await signIn(page, 'rui@mercadobompreco.demo', 'senha-errada-123');
  await page.getByRole('alert').getByText('E-mail ou senha incorretos.').waitFor();
  assert.equal(await page.getByLabel('E-mail', { exact: true }).inputValue(), 'rui@mercadobompreco.demo');
  await assertAccessible(page);
  assertNoErrors(page);
});

test('a client who types a staff address gets a clear "not allowed" page', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/login`);
  await signIn(page, 'bruno@petfeliz.demo');
  await page.getByRole('banner').getByText('Bruno Lima').waitFor();
  await page.goto(`${server.url}/staff`);
  await page.getByRole('heading', { level: 1, name: 'Acesso não permitido' }).waitFor();
  await assertAccessible(page);
  assertNoErrors(page);
});

test('a page that needs a session sends to sign-in and back', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.url}/staff`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  assert.match(page.url(), /\/login\?next=%2Fstaff$/);
  await signIn(page, 'diego@suporte.demo', undefined, { lang: 'en' });
  await page.getByRole('heading', { level: 1, name: 'Staff area' }).waitFor();
  assert.match(page.url(), /\/staff$/);
  assertNoErrors(page);
});
