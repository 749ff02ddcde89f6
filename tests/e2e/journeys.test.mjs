// The journeys people tripped over (issue 20), and the sign-in redirect and the browser clock (issue 19,
// points 6 and 7): each test here failed before its fix.

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

/** A ticket of `email`'s, made through the API; answers its id. */
async function ticketOf(email, subject) {
  const cookie = await apiLogin(server.url, email);
  const r = await fetch(`${server.url}/api/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'idempotency-key': `k${Date.now()}${Math.random().toString(36).slice(2)}` },
    body: JSON.stringify({ subject, description: 'O caixa 2 não imprime o cupom desde ontem.' }),
  });
  assert.equal(r.status, 201);
  return (await r.json()).id;
}

test('sign-in keeps the query string: a search that found nothing becomes a ticket with its subject', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/?q=${encodeURIComponent('zzyzx quasimodo')}`);
  await page.getByRole('link', { name: 'Abrir um chamado' }).click();
  await page.getByRole('heading', { level: 1, name: 'Entrar' }).waitFor();
  const next = new URL(page.url()).searchParams.get('next');
  assert.match(next, /^\/tickets\/new\?subject=zzyzx/);
  assert.match(next, /&search_id=\d+/);
  await signIn(page, 'ana@mercadobompreco.demo');
  await page.getByRole('heading', { level: 1, name: 'Abrir um chamado' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/tickets/new');
  assert.equal(await page.getByLabel('Assunto').inputValue(), 'zzyzx quasimodo');
  await assertAccessible(page);
  assertNoErrors(page);
});

test('a filtered list sends the reader to sign-in and back to the same filter; the header link keeps the page', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/tickets?status=resolved`);
  await page.getByRole('heading', { level: 1, name: 'Entrar' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('next'), '/tickets?status=resolved');
  await signIn(page, 'ana@mercadobompreco.demo');
  await page.getByRole('heading', { level: 1, name: 'Meus chamados' }).waitFor();
  assert.equal(new URL(page.url()).search, '?status=resolved');
  assertNoErrors(page);

  const visitor = await newPage(browser);
  await visitor.goto(`${server.url}/?q=nota`);
  await visitor.getByRole('heading', { level: 2, name: 'Resultados' }).waitFor();
  const href = await visitor.getByRole('banner').getByRole('link', { name: 'Entrar' }).getAttribute('href');
  assert.equal(new URL(href, server.url).searchParams.get('next'), '/?q=nota');
  await visitor.getByRole('banner').getByRole('link', { name: 'Entrar' }).click();
  await signIn(visitor, 'ana@mercadobompreco.demo');
  await visitor.getByRole('heading', { level: 2, name: 'Resultados' }).waitFor();
  assert.equal(await visitor.getByRole('combobox', { name: 'Pesquise na base de conhecimento' }).inputValue(), 'nota');
  assertNoErrors(visitor);
});

test('after sign-in, `next` never leads to another site, whatever its spelling', async () => {
  // Raw query values: the browser decodes them into `next` (`%5C` is a backslash, `%09` a tab).
  const forms = ['/%5C127.0.0.2/phish', '/%09/127.0.0.2/', '//127.0.0.2/', '/\\127.0.0.2/', '/%2F127.0.0.2/',
    '/.//127.0.0.2/', 'https://127.0.0.2/', 'javascript:alert(1)', '/%0A/127.0.0.2/', '\\\\127.0.0.2/'];
  const page = await newPage(browser);
  for (const form of forms) {
    await page.context().clearCookies();
    await page.goto(`${server.url}/login?next=${form}`);
    await page.getByRole('heading', { level: 1, name: 'Entrar' }).waitFor();
    await signIn(page, 'rui@mercadobompreco.demo');
    await page.getByRole('heading', { level: 1, name: 'Como podemos ajudar?' }).waitFor();
    const url = new URL(page.url());
    assert.equal(url.origin, server.url, `next=${form}`);
    assert.equal(url.pathname, '/', `next=${form}`);
  }
  // A path on this site still works, query and fragment included.
  await page.context().clearCookies();
  await page.goto(`${server.url}/login?next=${encodeURIComponent('/tickets?status=all')}`);
  await signIn(page, 'rui@mercadobompreco.demo');
  await page.getByRole('heading', { level: 1, name: 'Meus chamados' }).waitFor();
  assert.equal(page.url(), `${server.url}/tickets?status=all`);
  assertNoErrors(page);
});

test('the staff area lists ended announcements without dying (no chrono clock in WebAssembly)', async () => {
  const cookie = await apiLogin(server.url, 'carla@suporte.demo');
  const created = await api(server.url, cookie, 'POST', '/announcements', {
    kind: 'info', title: 'Aviso que já terminou', body_md: 'Encerrado.',
  });
  assert.equal(created.status, 201);
  assert.equal((await api(server.url, cookie, 'DELETE', `/announcements/${created.body.id}`, {})).status, 204);
  const page = await signedIn('carla@suporte.demo', '/staff');
  await page.getByRole('heading', { level: 2, name: 'Avisos publicados' }).waitFor();
  await page.getByText('Aviso que já terminou').waitFor();
  // Still alive: another page of the app renders.
  await page.getByRole('banner').getByRole('link', { name: 'Painel' }).click();
  await page.getByRole('heading', { level: 1, name: /Painel/ }).waitFor();
  await assertAccessible(page);
  assertNoErrors(page);
});

test('only the tab of the current filter, and only the current section of the header, is marked current', async () => {
  const page = await signedIn('ana@mercadobompreco.demo', '/tickets?status=resolved');
  await page.getByRole('heading', { level: 1, name: 'Meus chamados' }).waitFor();
  const tabs = page.getByRole('navigation', { name: 'Situação dos chamados' });
  const current = async (nav) => nav.locator('[aria-current="page"]').allInnerTexts();
  assert.deepEqual(await current(tabs), ['Resolvidos']);
  await tabs.getByRole('link', { name: 'Todos' }).click();
  await page.waitForURL(/status=all/);
  assert.deepEqual(await current(tabs), ['Todos']);
  await assertAccessible(page);
  assertNoErrors(page);

  const agent = await signedIn('carla@suporte.demo', '/staff/dashboard');
  await agent.getByRole('heading', { level: 1, name: /Painel/ }).waitFor();
  assert.deepEqual(await current(agent.getByRole('navigation', { name: 'Navegação principal' })), ['Painel']);
  await agent.getByRole('banner').getByRole('link', { name: 'Área da equipe' }).click();
  await agent.getByRole('heading', { level: 2, name: 'Avisos publicados' }).waitFor();
  assert.deepEqual(await current(agent.getByRole('navigation', { name: 'Navegação principal' })), ['Área da equipe']);
  assertNoErrors(agent);
});

test('a browser clock behind the server never shows a new event "in 16 seconds"', async () => {
  const id = await ticketOf('ana@mercadobompreco.demo', `Relógio atrasado ${Date.now()}`);
  const page = await newPage(browser);
  // This browser's clock runs two minutes behind the server's.
  await page.clock.setSystemTime(new Date(Date.now() - 120_000));
  await page.goto(`${server.url}/login?next=/tickets/${id}`);
  const behind = Date.now() - (await page.evaluate(() => Date.now()));
  assert.ok(behind > 100_000, `the browser clock is ${behind} ms behind`);
  await signIn(page, 'ana@mercadobompreco.demo');
  await page.getByLabel('Sua mensagem').fill('Continua sem imprimir.');
  await page.getByRole('button', { name: 'Enviar resposta' }).click();
  const event = page.locator('.timeline li', { hasText: 'Continua sem imprimir.' });
  await event.waitFor();
  const text = await page.locator('.timeline').innerText();
  assert.doesNotMatch(text, /\(em \d|\(daqui/, text);
  assert.match(await event.innerText(), /\(agora\)/);
  assertNoErrors(page);
});

test('closing a ticket is confirmed, keeps the reply being typed, can be undone, and asks no rating before any answer', async () => {
  const id = await ticketOf('ana@mercadobompreco.demo', `Encerrado por engano ${Date.now()}`);
  const page = await signedIn('ana@mercadobompreco.demo', `/tickets/${id}`);
  await page.getByLabel('Sua mensagem').fill('Texto ainda não enviado');
  await page.getByRole('button', { name: 'Encerrar chamado' }).click();
  const confirm = page.getByRole('group', { name: 'Encerrar este chamado?' });
  await confirm.getByText('fica guardada').waitFor();
  await assertAccessible(page);
  await confirm.getByRole('button', { name: 'Manter aberto' }).click();
  assert.equal(await confirm.count(), 0);
  assert.equal(await page.getByLabel('Sua mensagem').inputValue(), 'Texto ainda não enviado');

  await page.getByRole('button', { name: 'Encerrar chamado' }).click();
  await page.getByRole('button', { name: 'Sim, encerrar' }).click();
  await page.getByText('reabra-o em até 7 dias').waitFor();
  // Nobody from support answered: there is no service to rate.
  assert.equal(await page.getByRole('heading', { name: 'Avalie o atendimento' }).count(), 0);
  await assertAccessible(page);
  await page.getByRole('button', { name: 'Reabrir chamado' }).click();
  await page.getByLabel('Sua mensagem').waitFor();
  assert.equal(await page.getByLabel('Sua mensagem').inputValue(), 'Texto ainda não enviado');
  assertNoErrors(page);
});

test('an ended session, another organization\'s ticket and too many sign-ins each say what they are', async () => {
  const id = await ticketOf('ana@mercadobompreco.demo', `Sessão encerrada ${Date.now()}`);
  const page = await signedIn('ana@mercadobompreco.demo', `/tickets/${id}`);
  await page.getByLabel('Sua mensagem').waitFor();
  // The session ends on the server (another tab signed out): the next refresh says so, not "no connection".
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  assert.equal((await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' } })).status, 204);
  const alert = page.getByRole('alert').filter({ hasText: 'Sua sessão terminou' });
  await alert.waitFor({ timeout: 15_000 });
  await alert.getByRole('link', { name: 'Entrar' }).waitFor();
  assert.equal(await page.getByText('Sem conexão com o servidor').count(), 0);
  await assertAccessible(page);

  // Another organization's ticket: a ticket that does not exist, not an article.
  const other = await signedIn('bruno@petfeliz.demo', `/tickets/${id}`, { allowed: ['404'] });
  await other.getByRole('heading', { level: 1, name: 'Página não encontrada' }).waitFor();
  await other.getByText('Este chamado não existe').waitFor();
  assert.equal(await other.getByText('artigo ou categoria').count(), 0);
  assertNoErrors(other);

  // Too many wrong passwords: two sentences, with their stop.
  for (let i = 0; i < 8; i++) {
    const r = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'diego@suporte.demo', password: 'senha-errada-123' }),
    });
    if (r.status === 429) break;
  }
  const login = await newPage(browser, { allowed: ['429'] });
  await login.goto(`${server.url}/login`);
  await signIn(login, 'diego@suporte.demo', 'senha-errada-123');
  await login.getByRole('alert').waitFor();
  assert.match(await login.getByRole('alert').innerText(), /^Muitas tentativas\. \S/);
});

test('percentages keep their sign on the same line', async () => {
  const page = await signedIn('carla@suporte.demo', '/staff/dashboard');
  await page.getByRole('heading', { level: 1, name: /Painel/ }).waitFor();
  await page.getByText(/%/).first().waitFor();
  const text = await page.getByRole('main').innerText();
  assert.doesNotMatch(text, /\d %/, 'a breakable space before %');
  assert.match(text, /\d\u00a0%/);
  assertNoErrors(page);
});

test('a search shows how many articles it found and a way to see all of them, a page at a time', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/?q=nota`);
  const results = page.getByRole('region', { name: 'Resultados' });
  await results.getByRole('option').first().waitFor();
  const shown = await results.getByRole('option').count();
  const count = Number((await results.getByText(/resultado\(s\) encontrado\(s\)/).innerText()).match(/\d+/)[0]);
  assert.ok(count > shown, `${count} found, ${shown} shown`);
  await results.getByRole('link', { name: `Ver todos os ${count} resultados` }).click();
  await page.waitForURL(/all=1/);
  const pager = page.getByRole('navigation', { name: 'Páginas de resultados' });
  await pager.waitFor();
  let seen = 0;
  for (let n = 1; ; n++) {
    await pager.getByText(new RegExp(`Página ${n} de`)).waitFor();
    seen += await results.getByRole('option').count();
    await assertAccessible(page);
    const next = pager.getByRole('link', { name: 'Próxima' });
    if (await next.count() === 0) break;
    await next.click();
  }
  assert.equal(seen, count);
  assertNoErrors(page);
});

test('analytics count the search a reader settled on, once, and no staff search', async () => {
  const staff = await apiLogin(server.url, 'carla@suporte.demo');
  const recorded = async (re) => (await api(server.url, staff, 'GET', '/kb/analytics?days=1')).body.top_queries
    .filter((q) => re.test(q.query));

  // A visitor types slowly: every pause shows results, and the result opened is the search.
  const page = await newPage(browser);
  await page.goto(`${server.url}/`);
  const box = page.getByRole('combobox', { name: 'Pesquise na base de conhecimento' });
  await box.pressSequentially('sangria', { delay: 350 });
  const results = page.getByRole('region', { name: 'Resultados' });
  await results.getByRole('option', { name: /sangria/i }).first().waitFor();
  await results.getByRole('option').first().click();
  await page.waitForURL(/\/kb\/[^?]+\?search_id=\d+/);
  await page.getByRole('heading', { level: 1 }).waitFor();
  // Back, and the same `?q=` link opened again after the settling pause, are the same search.
  await page.goBack();
  await results.getByRole('option').first().waitFor();
  await page.goto(`${server.url}/?q=sangria`);
  await results.getByRole('option').first().waitFor();
  await page.waitForTimeout(2500);
  assertNoErrors(page);

  // An agent checking the knowledge base is not a reader.
  const agent = await signedIn('carla@suporte.demo', '/');
  await agent.getByRole('combobox', { name: 'Pesquise na base de conhecimento' }).fill('cupom fiscal');
  await agent.getByRole('region', { name: 'Resultados' }).getByRole('option').first().waitFor();
  await agent.getByRole('combobox', { name: 'Pesquise na base de conhecimento' }).blur();
  await agent.waitForTimeout(2500);
  assertNoErrors(agent);

  // A client typing a ticket's subject: the suggestions follow, the subject left is the one search.
  const client = await signedIn('ana@mercadobompreco.demo', '/tickets/new');
  await client.getByLabel('Assunto').pressSequentially('Balança não pesa', { delay: 450 });
  await client.getByRole('complementary').getByRole('link').first().waitFor();
  await client.getByLabel('Descreva o problema').click();
  await client.waitForTimeout(1000);
  await assertAccessible(client);
  assertNoErrors(client);

  assert.deepEqual(await recorded(/^s/), [{ query: 'sangria', count: 1 }]);
  assert.deepEqual(await recorded(/cupom/), []);
  assert.deepEqual(await recorded(/^bal/), [{ query: 'balança não pesa', count: 1 }]);
});

test('each page has its own title in the reader\'s language, and focus lands on the new page\'s heading', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/?q=sangria`);
  await page.waitForFunction(() => document.title === 'Como podemos ajudar? — Portal de Suporte');
  const results = page.getByRole('region', { name: 'Resultados' });
  await results.getByRole('option').first().click();
  // The article's page, not the home page's heading still on screen.
  await page.waitForFunction(() => location.pathname !== '/');
  const h1 = page.getByRole('heading', { level: 1, name: /^(?!Como podemos ajudar\?$)/ });
  await h1.waitFor();
  const heading = (await h1.innerText()).trim();
  await page.waitForFunction((t) => document.title === `${t} — Portal de Suporte`, heading);
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), heading);
  await assertAccessible(page);
  assertNoErrors(page);

  // A ticket created: its page's heading has the focus, and the title names the ticket.
  const client = await signedIn('ana@mercadobompreco.demo', '/tickets/new');
  await client.getByLabel('Assunto').fill('Título e foco');
  await client.getByLabel('Descreva o problema').fill('O foco deve ir para o título do chamado.');
  await client.getByRole('button', { name: 'Enviar chamado' }).click();
  await client.getByRole('heading', { level: 1, name: /Título e foco/ }).waitFor();
  await client.waitForFunction(() => /^#\d+ · Título e foco — Portal de Suporte$/.test(document.title));
  await client.waitForFunction(() => document.activeElement?.tagName === 'H1');
  assertNoErrors(client);

  // In English, the English name.
  const en = await newPage(browser, { locale: 'en' });
  await en.goto(`${server.url}/login`);
  await en.waitForFunction(() => / — Support Portal$/.test(document.title));
  assertNoErrors(en);
});

test('a visitor for whom the article did not help is offered a ticket about it', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/kb/como-fazer-uma-sangria-no-caixa`);
  const title = (await page.getByRole('heading', { level: 1 }).innerText()).trim();
  assert.equal(await page.getByRole('link', { name: 'Abrir um chamado' }).count(), 0);
  await page.getByRole('button', { name: 'Não' }).click();
  const offer = page.getByRole('link', { name: 'Abrir um chamado' });
  await offer.waitFor();
  await assertAccessible(page);
  await offer.click();
  await page.getByRole('heading', { level: 1, name: 'Entrar' }).waitFor();
  await signIn(page, 'ana@mercadobompreco.demo');
  await page.getByRole('heading', { level: 1, name: 'Abrir um chamado' }).waitFor();
  assert.equal(await page.getByLabel('Assunto').inputValue(), `Dúvida sobre o artigo “${title}”`);
  assertNoErrors(page);
});

test('the dashboard keeps its period in the address and says when the dates are reversed', async () => {
  const page = await signedIn('carla@suporte.demo', '/staff/dashboard');
  await page.getByRole('heading', { level: 1, name: /Painel/ }).waitFor();
  await page.getByRole('radio', { name: '7 dias' }).check();
  await page.waitForURL(/period=7d/);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: /Painel/ }).waitFor();
  assert.equal(await page.getByRole('radio', { name: '7 dias' }).isChecked(), true);

  await page.getByRole('radio', { name: 'Personalizado' }).check();
  await page.getByLabel('De', { exact: true }).fill('2026-11-20');
  await page.getByLabel('Até (inclusive)').fill('2026-11-10');
  await page.getByRole('button', { name: 'Aplicar período' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'A data final é anterior à inicial' });
  await alert.waitFor();
  await page.waitForURL(/period=custom&from=2026-11-20&to=2026-11-10/);
  await assertAccessible(page);
  // Put right, the figures come back, and the address keeps the dates.
  await page.getByLabel('Até (inclusive)').fill('2026-11-30');
  await page.getByRole('button', { name: 'Aplicar período' }).click();
  await page.waitForURL(/from=2026-11-20&to=2026-11-30/);
  assert.equal(await alert.count(), 0);
  await page.reload();
  assert.equal(await page.getByLabel('De', { exact: true }).inputValue(), '2026-11-20');
  assertNoErrors(page);
});

test('at 360 px no page scrolls sideways, and the dashboard\'s chart labels stay readable', async () => {
  const slug = 'como-fazer-uma-sangria-no-caixa';
  const pages = [
    ['ana@mercadobompreco.demo', '/tickets?status=all', 'Meus chamados'],
    ['carla@suporte.demo', '/tickets', /./],
    ['carla@suporte.demo', '/tickets/new', 'Abrir um chamado'],
    ['carla@suporte.demo', '/staff/kb', /./],
    ['carla@suporte.demo', `/staff/kb/articles/${slug}`, /./],
    ['carla@suporte.demo', `/staff/kb/articles/${slug}/history`, /./],
    ['carla@suporte.demo', '/staff/dashboard', /Painel/],
  ];
  for (const [who, path, heading] of pages) {
    const page = await signedIn(who, path);
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await page.waitForLoadState('networkidle');
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    }));
    assert.ok(scrollWidth <= innerWidth, `${path} is ${scrollWidth} px wide in a ${innerWidth} px window`);
    // The editor shows its heading again once the article is loaded: axe looks at the page once it has
    // settled (no request for half a second, the heading there).
    await page.waitForLoadState('networkidle');
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await assertAccessible(page);
    assertNoErrors(page);
    await page.context().close();
  }
  const dashboard = await signedIn('carla@suporte.demo', '/staff/dashboard');
  await dashboard.setViewportSize({ width: 360, height: 740 });
  await dashboard.getByRole('img', { name: /Satisfação|satisfação/ }).first().waitFor();
  const smallest = await dashboard.evaluate(() => Math.min(...[...document.querySelectorAll('svg text')].map((t) => {
    const svg = t.ownerSVGElement;
    return parseFloat(getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  })));
  assert.ok(smallest >= 11, `chart text drawn at ${smallest.toFixed(1)} px`);
  assertNoErrors(dashboard);
});

test('on a 1920x1080 wall screen the dashboard shows its indicators on one row and its charts above the fold', async () => {
  const page = await signedIn('carla@suporte.demo', '/staff/dashboard?wall=1');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.getByRole('heading', { level: 1, name: /Painel/ }).waitFor();
  await page.getByRole('img').first().waitFor();
  await page.waitForTimeout(300);
  const boxes = async (locator) => Promise.all((await locator.all()).map((l) => l.boundingBox()));
  const tiles = await boxes(page.getByRole('list', { name: 'Indicadores do período' }).getByRole('listitem'));
  const charts = await boxes(page.getByRole('figure'));
  const layout = {
    rows: new Set(tiles.map((b) => Math.round(b.y))).size,
    bottoms: charts.map((b) => Math.round(b.y + b.height)),
    scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth),
  };
  assert.equal(layout.rows, 1, 'the indicators wrap');
  assert.ok(layout.bottoms.length >= 2 && layout.bottoms.every((b) => b <= 1080), `charts end at ${layout.bottoms}`);
  assert.ok(layout.scrollWidth <= 1920);
  await assertAccessible(page);
  assertNoErrors(page);
});

test('a ticket waiting on the client reads so for staff ("Aguardando o cliente"), and as "your reply" for the client', async () => {
  const subject = `Aguardando retorno ${Date.now()}`;
  const id = await ticketOf('ana@mercadobompreco.demo', subject);
  const staff = await apiLogin(server.url, 'carla@suporte.demo');
  assert.equal((await api(server.url, staff, 'POST', `/tickets/${id}/messages`,
    { body: 'Qual é a versão do sistema?', status: 'pending' })).status, 201);

  const agent = await signedIn('carla@suporte.demo', `/tickets?status=all&q=${encodeURIComponent(subject)}`);
  const row = agent.getByRole('row').filter({ has: agent.getByRole('link', { name: new RegExp(subject) }) });
  await row.waitFor();
  assert.match(await row.innerText(), /Aguardando o cliente/);
  assert.doesNotMatch(await row.innerText(), /Aguardando você/);
  await row.getByRole('link', { name: new RegExp(subject) }).click();
  await agent.getByRole('heading', { level: 1, name: new RegExp(subject) }).waitFor();
  const timeline = agent.getByRole('list').filter({ hasText: 'Qual é a versão do sistema?' });
  await timeline.getByText(/Aguardando o cliente/).first().waitFor();
  assert.equal(await agent.getByText('Aguardando você').count(), 0);
  await assertAccessible(agent);
  assertNoErrors(agent);

  const client = await signedIn('ana@mercadobompreco.demo', `/tickets/${id}`);
  await client.getByRole('heading', { level: 1, name: new RegExp(subject) }).waitFor();
  await client.getByText('Aguardando sua resposta').first().waitFor();
  assertNoErrors(client);
});

test('"Criar artigo a partir deste chamado" opens the ticket\'s one draft, in the ticket\'s category', async () => {
  const categories = (await api(server.url, '', 'GET', '/kb/categories?locale=pt-BR')).body;
  const category = categories[categories.length - 1];
  const subject = `Gaveta não abre ${Date.now()}`;
  const cookie = await apiLogin(server.url, 'ana@mercadobompreco.demo');
  const r = await fetch(`${server.url}/api/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'idempotency-key': `k${Date.now()}` },
    body: JSON.stringify({ subject, description: 'A gaveta do caixa 1 não abre ao fechar a venda.', category: category.slug }),
  });
  assert.equal(r.status, 201);
  const id = (await r.json()).id;

  const agent = await signedIn('carla@suporte.demo', `/tickets/${id}`);
  await agent.getByRole('heading', { level: 1, name: new RegExp(subject) }).waitFor();
  const choice = agent.getByLabel('Categoria do artigo');
  await choice.getByRole('option', { name: new RegExp(category.name) }).waitFor({ state: 'attached' });
  assert.equal(await choice.inputValue(), String(category.id), 'the ticket\'s category is proposed');
  await assertAccessible(agent);
  await agent.getByRole('button', { name: 'Criar artigo a partir deste chamado' }).click();
  await agent.waitForURL(/\/staff\/kb\/articles\/[^/]+$/);
  const first = agent.url();
  await agent.getByLabel('Título', { exact: true }).waitFor();
  const editorCategory = agent.getByLabel('Categoria', { exact: true });
  await editorCategory.getByRole('option', { name: category.name }).waitFor({ state: 'attached' });
  assert.equal(await editorCategory.inputValue(), String(category.id));

  // Back on the ticket, the same button opens the same draft.
  await agent.goBack();
  await agent.getByRole('heading', { level: 1, name: new RegExp(subject) }).waitFor();
  await agent.getByRole('button', { name: 'Criar artigo a partir deste chamado' }).click();
  await agent.waitForURL(/\/staff\/kb\/articles\/[^/]+$/);
  assert.equal(agent.url(), first);
  const staff = await apiLogin(server.url, 'carla@suporte.demo');
  const drafts = await api(server.url, staff, 'GET', `/kb/articles?status=draft&q=${encodeURIComponent(subject)}`);
  assert.equal(drafts.body.items.length, 1);
  assertNoErrors(agent);
});

test('the staff queue has a Responsável column: who has each ticket, or nobody yet', async () => {
  const token = `Responsavel${Date.now()}`;
  const taken = await ticketOf('ana@mercadobompreco.demo', `${token} com dono`);
  const free = await ticketOf('ana@mercadobompreco.demo', `${token} sem dono`);
  const staff = await apiLogin(server.url, 'carla@suporte.demo');
  const me = (await api(server.url, staff, 'GET', '/auth/session')).body.user;
  assert.equal((await api(server.url, staff, 'PATCH', `/tickets/${taken}`, { assignee_id: me.id })).status, 200);

  const page = await signedIn('carla@suporte.demo', `/tickets?status=all&q=${token}`);
  const table = page.getByRole('table');
  await table.getByRole('columnheader', { name: 'Responsável' }).waitFor();
  const row = (id) => table.getByRole('row').filter({ has: page.getByRole('link', { name: new RegExp(`^#${id} `) }) });
  await row(taken).waitFor();
  assert.match(await row(taken).innerText(), new RegExp(me.name));
  assert.match(await row(free).innerText(), /Ninguém ainda/);
  await assertAccessible(page);
  assertNoErrors(page);
});

test('an agent gives a ticket to a colleague and raises its priority: the staff timeline says so, the client\'s does not, and the queue filters by agent and organization', async () => {
  const token = `Atribuir${Date.now()}`;
  const id = await ticketOf('ana@mercadobompreco.demo', `${token} balança`);
  const other = await ticketOf('bruno@petfeliz.demo', `${token} ração`);

  const page = await signedIn('carla@suporte.demo', `/tickets/${id}`);
  await page.getByRole('heading', { level: 1, name: new RegExp(`#${id}`) }).waitFor();
  const assignee = page.getByLabel('Responsável', { exact: true });
  await assignee.selectOption({ label: 'Diego Ferreira' });
  await page.getByText('Atribuído a Diego Ferreira').waitFor();
  await page.getByLabel('Prioridade', { exact: true }).selectOption('urgent');
  await page.getByText('Prioridade alterada de Normal para Urgente').waitFor();
  assert.equal(await assignee.inputValue(), await assignee.locator('option', { hasText: 'Diego Ferreira' }).getAttribute('value'));
  await assertAccessible(page);
  assertNoErrors(page);

  // The client sees the new priority, not staff's handling.
  const client = await signedIn('ana@mercadobompreco.demo', `/tickets/${id}`);
  await client.getByRole('heading', { level: 1, name: new RegExp(`#${id}`) }).waitFor();
  assert.equal(await client.getByText(/Atribuído a|Prioridade alterada/).count(), 0);

  // The queue: Diego's tickets, then one organization's.
  const queue = page;
  await queue.goto(`${server.url}/tickets?status=all&q=${token}`);
  const table = queue.getByRole('table');
  const row = (n) => table.getByRole('row').filter({ has: queue.getByRole('link', { name: new RegExp(`^#${n} `) }) });
  await row(other).waitFor();
  await queue.getByLabel('Responsável', { exact: true }).selectOption({ label: 'Diego Ferreira' });
  await queue.waitForURL(/assignee=\d+/);
  await row(other).waitFor({ state: 'detached' });
  assert.equal(await row(id).count(), 1);
  await queue.getByLabel('Responsável', { exact: true }).selectOption({ label: 'Qualquer um' });
  await queue.getByLabel('Organização').selectOption({ label: 'Pet Feliz' });
  await queue.waitForURL(/organization=\d+/);
  await row(id).waitFor({ state: 'detached' });
  await row(other).waitFor();
  await assertAccessible(queue);
  assertNoErrors(queue);
});
