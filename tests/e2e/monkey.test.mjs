// Random clicks, typing and Back/Forward in quick succession, as anonymous, a client and an agent: the app
// must never die (a panic in WebAssembly stops every link until a reload). The sequence is fixed by a seed,
// so a failure replays: MONKEY_SEED and MONKEY_STEPS change it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, signedInPage } from './harness.mjs';

const SEED = Number(process.env.MONKEY_SEED || 20261202);
const STEPS = Number(process.env.MONKEY_STEPS || 120);

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

/** A small seeded generator (mulberry32): the same seed gives the same walk. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['nota fiscal', 'sangria', 'nfce', 'impressora', 'xyzzy', 'certificado', 'cupom', 'backup', 'a', 'tef pendente', ''];
// Links and buttons the walk leaves alone: signing out ends the walk's session, and the language switch
// is a select (exercised by the typing step).
const SKIP = /^(Sair|Sign out)$/;

/** Marks every visible control of the page with a number and answers their kinds. */
async function controls(page) {
  return page.evaluate(() => {
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    const found = [];
    document.querySelectorAll('a[href], button, input, textarea, select').forEach((el) => {
      el.removeAttribute('data-monkey');
      if (!visible(el) || el.disabled || el.closest('[inert]')) return;
      if (el.tagName === 'A' && (el.target || !el.href.startsWith(location.origin))) return;
      el.setAttribute('data-monkey', String(found.length));
      const type = (el.getAttribute('type') || '').toLowerCase();
      const kind = el.tagName === 'SELECT' ? 'select'
        : el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'submit', 'button', 'file', 'hidden'].includes(type)) ? 'text'
        : 'click';
      found.push({ kind, type, name: (el.innerText || el.getAttribute('aria-label') || '').trim() });
    });
    return found;
  });
}

async function walk(page, next, steps) {
  const log = [];
  for (let i = 0; i < steps; i += 1) {
    const roll = next();
    let list = [];
    try {
      list = await controls(page);
    } catch {
      // The page is navigating: the next step looks again.
    }
    const pick = list.length ? Math.floor(next() * list.length) : -1;
    const target = page.locator(`[data-monkey="${pick}"]`);
    const c = list[pick];
    try {
      if (roll < 0.08) {
        log.push('back');
        await page.goBack({ timeout: 2000 }).catch(() => {});
      } else if (roll < 0.12) {
        log.push('forward');
        await page.goForward({ timeout: 2000 }).catch(() => {});
      } else if (c?.kind === 'text') {
        const word = WORDS[Math.floor(next() * WORDS.length)];
        log.push(`type "${word}" in #${pick}`);
        if (c.type === 'date') await target.fill('2026-11-30', { timeout: 1000 });
        else if (c.type === 'number') await target.fill(String(Math.floor(next() * 6)), { timeout: 1000 });
        else await target.fill(word, { timeout: 1000 });
        if (next() < 0.3) await target.press('Enter', { timeout: 1000 });
      } else if (c?.kind === 'select') {
        const options = await target.locator('option').evaluateAll((os) => os.map((o) => o.value));
        const value = options[Math.floor(next() * options.length)];
        log.push(`select "${value}" in #${pick}`);
        if (value !== undefined) await target.selectOption(value, { timeout: 1000 });
      } else if (c && !SKIP.test(c.name)) {
        log.push(`click #${pick} "${c.name.slice(0, 40)}"`);
        await target.click({ timeout: 1000 });
      }
    } catch {
      // The control went away under the click (the page changed): that is what the walk is after.
    }
    // Quick successions: the next action comes before the last one's answer, most of the time.
    await page.waitForTimeout(Math.floor(next() * 300));
    if (page.errors.length) {
      assert.fail(`after ${log.length} steps (seed ${SEED}): ${page.errors.join('\n')}\nlast steps:\n${log.slice(-12).join('\n')}`);
    }
  }
  return log;
}

/** The app still answers after the walk: the brand link leads home. */
async function stillAlive(page) {
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#fatal-error').count(), 0, 'the panic banner is shown');
}

// Console errors for answers the server refused (a 404, a 422 for a form sent empty) are the browser's
// report of a response, not a failure of the app.
const allowed = ['Failed to load resource'];

test('typing a search and clicking a category at once does not kill the app', async () => {
  const page = await newPage(browser, { allowed });
  await page.goto(server.url);
  const box = page.getByRole('combobox', { name: 'Pesquise na base de conhecimento' });
  for (let i = 0; i < 3; i += 1) {
    // The app's own page (not the server's copy of it, which has no app behind it yet).
    await box.waitFor();
    await page.locator('a[href^="/kb/c/"]').first().waitFor();
    // A letter typed, then a category clicked before the search's pause is over (the app's timer fires
    // on the category page).
    await page.evaluate((i) => {
      const input = document.querySelector('#kb-search');
      input.value = `nota ${i}`;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      document.querySelector('a[href^="/kb/c/"]').click();
    }, i);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForTimeout(600);
    assert.deepEqual(page.errors, [], `round ${i}`);
    await page.goBack();
    await box.waitFor();
  }
  await stillAlive(page);
});

for (const [who, email, path, seed] of [
  ['a visitor', null, '/', SEED],
  ['a client', 'ana@mercadobompreco.demo', '/tickets', SEED + 1],
  ['an agent', 'carla@suporte.demo', '/staff', SEED + 2],
]) {
  test(`${who} clicks, types and goes back and forth at random without an error`, async () => {
    const page = email
      ? await signedInPage(browser, server.url, email, path, { allowed })
      : await newPage(browser, { allowed });
    if (!email) await page.goto(`${server.url}${path}`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    // Dialogs (a confirmation) are answered at random too.
    const next = random(seed);
    page.on('dialog', (d) => (next() < 0.5 ? d.accept() : d.dismiss()).catch(() => {}));
    await walk(page, next, STEPS);
    await page.waitForTimeout(500);
    assert.deepEqual(page.errors, []);
    await stillAlive(page);
  });
}
