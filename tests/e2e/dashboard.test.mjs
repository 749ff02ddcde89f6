// The staff dashboard: an agent sees the indicators of the demo's history, sorts the per-agent table, sees a
// low rating given just now among the escalated tickets, and the wall-screen mode refreshes itself.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, assertNoErrors, assertAccessible, signIn, apiLogin, api, signedInPage } from './harness.mjs';

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

/** The figure of a KPI tile, found by its label. */
async function tile(page, label) {
  const item = page.getByRole('list', { name: 'Indicadores do período' })
    .getByRole('listitem').filter({ hasText: label });
  return (await item.locator('.kpi-value').innerText()).trim();
}

/** The agent names of the table's rows, top to bottom. */
async function agentOrder(table) {
  return table.getByRole('rowheader').allInnerTexts();
}

test('an agent sees the indicators of the demo history and sorts the agent table', async () => {
  const page = await signedIn('carla@suporte.demo', '/staff');
  await page.getByRole('navigation').getByRole('link', { name: 'Painel' }).click();
  await page.getByRole('heading', { level: 1, name: 'Painel de atendimento' }).waitFor();
  await page.getByRole('list', { name: 'Indicadores do período' }).waitFor();
  // The default period is the last 30 days: resolved and rated history is there.
  assert.equal(await page.getByRole('radio', { name: '30 dias' }).isChecked(), true);
  assert.ok(Number(await tile(page, 'Chamados resolvidos')) >= 20);
  assert.match(await tile(page, 'Satisfação média'), /^\d,\d+$|^\d$/);
  assert.match(await tile(page, 'Primeira resposta'), /\d+\s(min|h)/);
  // The charts are drawn by the app, with text alternatives.
  await page.getByRole('img', { name: 'Satisfação média por dia' }).waitFor();
  await page.getByRole('img', { name: 'Tempo até a primeira resposta (horas úteis)' }).waitFor();
  assert.ok(await page.locator('svg .trend-point').count() > 5, 'points on the trend line');
  assert.equal(await page.locator('svg .bar').count(), 7);
  await assertAccessible(page);

  // The agent table: best satisfaction first, then sorted by each column from its header button.
  const table = page.getByRole('table');
  const cmp = await table.getByRole('columnheader', { name: 'Satisfação média' });
  assert.equal(await cmp.getAttribute('aria-sort'), 'descending');
  const byName = table.getByRole('columnheader', { name: 'Agente' });
  await byName.getByRole('button').click();
  assert.equal(await byName.getAttribute('aria-sort'), 'ascending');
  assert.equal(await cmp.getAttribute('aria-sort'), 'none');
  assert.deepEqual(await agentOrder(table), ['Carla Mendes', 'Diego Ferreira']);
  await byName.getByRole('button').click();
  assert.equal(await byName.getAttribute('aria-sort'), 'descending');
  assert.deepEqual(await agentOrder(table), ['Diego Ferreira', 'Carla Mendes']);
  // By resolved tickets, most first: the order the API's figures say.
  const resolved = table.getByRole('columnheader', { name: 'Resolvidos' });
  await resolved.getByRole('button').click();
  assert.equal(await resolved.getAttribute('aria-sort'), 'descending');
  const counts = (await table.locator('tbody tr td:nth-of-type(1)').allInnerTexts()).map(Number);
  assert.deepEqual(counts, [...counts].sort((a, b) => b - a));

  // Another period: the last 7 days, and a custom one.
  await page.getByRole('radio', { name: '7 dias' }).check();
  await page.getByRole('list', { name: 'Indicadores do período' }).waitFor();
  await page.getByRole('radio', { name: 'Personalizado' }).check();
  const today = new Date();
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  await page.getByLabel('De', { exact: true }).fill(iso(new Date(today.getTime() - 75 * 86_400_000)));
  await page.getByLabel('Até (inclusive)').fill(iso(today));
  await page.getByRole('button', { name: 'Aplicar período' }).click();
  await page.waitForFunction(() => {
    const item = [...document.querySelectorAll('.kpi-tile')].find((t) => t.textContent.includes('Chamados resolvidos'));
    // The whole history (96 tickets) and the demo's resolved tickets.
    return item && Number(item.querySelector('.kpi-value').textContent) >= 99;
  });
  await assertAccessible(page);
  assertNoErrors(page);
});

test('a low rating given through the API appears among the escalated tickets', async () => {
  const rui = await apiLogin(server.url, 'rui@mercadobompreco.demo');
  const carla = await apiLogin(server.url, 'carla@suporte.demo');
  const subject = `Caixa lento ${Date.now()}`;
  const opened = await api(server.url, rui, 'POST', '/tickets', { subject, description: 'O caixa 2 demora para fechar a venda.' });
  assert.equal(opened.status, 201);
  const id = opened.body.id;
  const resolved = await api(server.url, carla, 'PATCH', `/tickets/${id}`, { status: 'resolved' });
  assert.equal(resolved.status, 200);
  const rated = await api(server.url, rui, 'POST', `/tickets/${id}/rating`, { score: 1, comment: 'Continua lento.' });
  assert.equal(rated.status, 201);

  const page = await signedIn('carla@suporte.demo', '/staff/dashboard');
  const escalated = page.getByRole('region', { name: 'Chamados escalados' });
  const link = escalated.getByRole('link', { name: `#${id} ${subject}` });
  await link.waitFor();
  assert.equal(await link.getAttribute('href'), `/tickets/${id}`);
  const item = escalated.getByRole('listitem').filter({ hasText: subject });
  await item.getByText('Nota 1').waitFor();
  await item.getByText('Continua lento.').waitFor();
  await item.getByText('Rui Almeida (Mercado Bom Preço)').waitFor();
  assertNoErrors(page);
});

test('the wall screen fills the screen, refreshes every minute and never piles up requests', async () => {
  const page = await newPage(browser, { locale: 'pt-BR' });
  // The page's clock is ours: it runs on its own, and a minute passes at once when the test says so.
  await page.clock.install();
  await page.goto(`${server.url}/login?next=${encodeURIComponent('/staff/dashboard')}`);
  await signIn(page, 'diego@suporte.demo');
  await page.getByRole('list', { name: 'Indicadores do período' }).waitFor();
  let requests = 0;
  page.on('request', (r) => { if (r.url().includes('/api/v1/reports/kpis')) requests += 1; });
  await page.getByRole('link', { name: 'Modo TV' }).click();
  await page.waitForURL(/wall=1/);
  const region = page.getByRole('region', { name: 'Painel de atendimento' });
  await region.getByRole('list', { name: 'Indicadores do período' }).waitFor();
  assert.match(await region.getAttribute('class'), /\bwall\b/);
  // The period controls give way to the figures; a way out stays.
  assert.equal(await page.getByRole('radio', { name: '30 dias' }).count(), 0);
  await region.getByRole('link', { name: 'Sair do modo TV' }).waitFor();
  // Large figures: the value of a tile is much larger than body text.
  const size = await region.locator('.kpi-value').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(size >= 40, `figure size ${size}px`);
  await assertAccessible(page);

  const refreshed = region.locator('.refreshed time');
  const first = await refreshed.getAttribute('datetime');
  const before = requests;
  await page.clock.runFor(61_000);
  await page.waitForFunction((t) => document.querySelector('.refreshed time')?.getAttribute('datetime') !== t, first);
  assert.equal(requests, before + 1, 'one request per minute');
  // Three more minutes: three more requests, one at a time.
  for (let i = 0; i < 3; i += 1) {
    const seen = requests;
    const shown = await refreshed.getAttribute('datetime');
    await page.clock.runFor(60_000);
    await page.waitForFunction((t) => document.querySelector('.refreshed time')?.getAttribute('datetime') !== t, shown);
    assert.equal(requests, seen + 1, 'one request per tick');
  }
  await region.getByRole('link', { name: 'Sair do modo TV' }).click();
  await page.getByRole('radio', { name: '30 dias' }).waitFor();
  assert.doesNotMatch(await region.getAttribute('class'), /\bwall\b/);
  assertNoErrors(page);
});
