// Shared by the browser tests: a real portal-api on a free port with a fresh database and the demo data,
// serving the release build, and headless Chromium (Debian's package) driven by playwright-core.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const DEMO_PASSWORD = 'demo-portal-2026';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * Waits until `child` (a server just spawned with its stderr piped) answers `url` with a 2xx, failing with
 * its stderr when it exits first or `timeout` ms pass.
 */
async function serving(child, name, url, timeout) {
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + timeout;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${log}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${name} did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A real SMTP server for the tests: MailDev (npm, pinned in package-lock.json) on loopback ports, its
 * REST API read back for the mails it received. `stop()` ends it.
 */
export async function startMailCatcher() {
  const smtp = await freePort();
  const web = await freePort();
  const bin = fileURLToPath(new URL('../node_modules/.bin/maildev', import.meta.url));
  const child = spawn(bin, ['--ip', '127.0.0.1', '--smtp', String(smtp), '--web', String(web), '--silent'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const api = `http://127.0.0.1:${web}`;
  await serving(child, 'maildev', `${api}/email`, 30_000);
  const all = async () => (await (await fetch(`${api}/email`)).json());
  return {
    smtpUrl: `smtp://127.0.0.1:${smtp}?tls=none`,
    /** Every mail received so far: `{ subject, text, html, headers, to: [{ address }] }`. */
    all,
    /** The first mail to `address` whose subject matches `subject` (a RegExp), waiting up to 20 s. */
    async waitFor(address, subject, timeout = 20_000) {
      const until = Date.now() + timeout;
      for (;;) {
        const found = (await all()).find((m) => m.to.some((t) => t.address.toLowerCase() === address.toLowerCase())
          && subject.test(m.subject));
        if (found) return found;
        if (Date.now() > until) {
          const seen = (await all()).map((m) => `${m.to.map((t) => t.address).join(',')}: ${m.subject}`);
          throw new Error(`no mail to ${address} matching ${subject}; received: ${seen.join('; ') || 'none'}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

/** The link of a mail's text that starts with `prefix` (e.g. `${url}/account/reset?token=`). */
export function linkIn(mail, prefix) {
  const at = mail.text.indexOf(prefix);
  assert.ok(at >= 0, `no link ${prefix} in the mail: ${mail.text}`);
  return mail.text.slice(at).split(/\s/)[0];
}

/**
 * Starts portal-api with the demo data; `stop()` ends it and removes its database. With `mail: true`,
 * its e-mails go to a MailDev of its own (`server.mail`), with links to its address.
 */
export async function startServer(extraArgs = [], { mail = false } = {}) {
  const bin = process.env.PORTAL_API_BIN;
  const dist = process.env.PORTAL_DIST;
  assert.ok(bin && dist, 'PORTAL_API_BIN and PORTAL_DIST must be set (cargo xtask test sets them)');
  const dir = mkdtempSync(join(tmpdir(), 'portal-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const catcher = mail ? await startMailCatcher() : null;
  const mailArgs = catcher ? ['--smtp-url', catcher.smtpUrl, '--public-url', url, '--mail-poll-ms', '100'] : [];
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'portal.db'), '--dist', dist, '--demo', ...mailArgs, ...extraArgs], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  await serving(child, 'portal-api', `${url}/healthz`, 60_000);
  return {
    url,
    /** The server's database, for `portal-api` commands run beside it. */
    db: join(dir, 'portal.db'),
    bin,
    mail: catcher,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      await catcher?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * A page in a fresh context that records console errors and uncaught exceptions.
 * `allowed` lists substrings of console errors a test expects (a refused sign-in logs its 401).
 */
export async function newPage(browser, { locale = 'pt-BR', allowed = [] } = {}) {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allowed.some((a) => msg.text().includes(a))) errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  page.errors = errors;
  return page;
}

/** No console error and no uncaught exception happened on the page. */
export function assertNoErrors(page) {
  assert.deepEqual(page.errors, [], `console errors: ${page.errors.join('\n')}`);
}

/** axe-core finds no accessibility violation on the page as it is now. */
export async function assertAccessible(page) {
  const results = await new AxeBuilder({ page }).analyze();
  const violations = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  assert.deepEqual(violations, [], `accessibility violations on ${page.url()}`);
}

/** Signs in through the API and answers the session cookie, for setting things up. */
export async function apiLogin(url, email, password = DEMO_PASSWORD) {
  const r = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(r.status, 200, `sign-in of ${email}`);
  return r.headers.get('set-cookie').split(';')[0];
}

export async function api(url, cookie, method, path, body) {
  const r = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', cookie },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** A new page in `locale` (pt-BR by default), signed in through the sign-in page on its way to `path`. */
export async function signedInPage(browser, url, email, path, { locale = 'pt-BR', ...opts } = {}) {
  const page = await newPage(browser, { locale, ...opts });
  await page.goto(`${url}/login?next=${encodeURIComponent(path)}`);
  await signIn(page, email, undefined, { lang: locale === 'en' ? 'en' : 'pt' });
  return page;
}

/** Signs in through the sign-in page, as a person would. */
export async function signIn(page, email, password = DEMO_PASSWORD, { lang = 'pt' } = {}) {
  const L = lang === 'pt' ? { email: 'E-mail', password: 'Senha', submit: 'Entrar' } : { email: 'E-mail', password: 'Password', submit: 'Sign in' };
  await page.getByLabel(L.email, { exact: true }).fill(email);
  await page.getByLabel(L.password, { exact: true }).fill(password);
  await page.getByRole('main').getByRole('button', { name: L.submit }).click();
  // Signed in, the app goes where it was asked (staff by loading the staff build's page anew); refused, it
  // says why. Either way the page has settled before the test goes on.
  await Promise.race([
    page.waitForURL((u) => !u.pathname.startsWith('/login')),
    page.getByRole('main').getByRole('alert').first().waitFor(),
  ]);
}
