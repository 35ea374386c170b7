// Helpers for COP's browser journeys: each journey is a script run by
// `node ui/e2e/<name>.mjs` (platform/web/browser_test.go runs them in
// `make test`) against a running COP server at COP_BASE_URL, driving
// Debian's Chromium through playwright-core and checking every page it
// names with axe.
//
//   import { base, launch, signIn, checkA11y, step, run } from './lib.mjs';
//   run(async () => {
//     const page = await (await launch()).newPage();
//     await step('sign in as officer', () => signIn(page, base, 'officer'));
//     await step('home is accessible', () => checkA11y(page, 'home'));
//   });
//
// Each step prints one line. When a step fails, every open page is saved
// to COP_E2E_ARTIFACTS (full-page screenshot, URL and HTML) and the script
// exits non-zero. With COP_E2E_SCREENSHOTS set to a directory, screenshot()
// saves the named pictures the documentation shows there.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const base = (process.env.COP_BASE_URL || 'http://localhost:8080').replace(/\/$/, '');
export const password = process.env.COP_DEV_PASSWORD || 'cop-dev-password';
export const artifacts = process.env.COP_E2E_ARTIFACTS || path.join(tmpdir(), 'cop-e2e');
export const chromiumPath = process.env.COP_CHROMIUM || '/usr/bin/chromium';
export const screenshots = process.env.COP_E2E_SCREENSHOTS || '';

// Chromium must not reach out to the network on its own: on a closed
// network it hangs waiting for it.
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// How long one action or navigation may take before its step fails (and
// leaves a screenshot) rather than the whole script being killed.
const actionTimeout = Number(process.env.COP_E2E_TIMEOUT_MS || 15000);

const contexts = [];
const profiles = [];
const withoutJavaScript = new WeakSet();

// launch starts a fresh Chromium with an empty profile and returns its
// browser context. Options: javaScript (default true), viewport (default
// 1280x800; e.g. { width: 375, height: 812 } for a phone), and any other
// playwright context option.
export async function launch({ javaScript = true, viewport = { width: 1280, height: 800 }, ...options } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'cop-e2e-profile-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    javaScriptEnabled: javaScript,
    viewport,
    locale: 'en-GB',
    timeout: 30000,
    handleSIGTERM: false, // run saves the pages first (see below)
    ...options,
  });
  context.setDefaultTimeout(actionTimeout);
  context.setDefaultNavigationTimeout(actionTimeout);
  contexts.push(context);
  if (!javaScript) withoutJavaScript.add(context);
  return context;
}

// signIn signs a demo user in through COP's /login and the development
// OpenID provider's login page, and waits until the browser is back on COP.
export async function signIn(page, baseURL, username, pass = password) {
  const origin = new URL(baseURL).origin;
  await page.goto(baseURL + '/login');
  if (new URL(page.url()).origin === origin) {
    throw new Error(`expected the provider's login page, still on COP at ${page.url()}`);
  }
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(pass);
  // The provider answers with its login page again when it refuses, or
  // redirects through COP's callback to where the sign-in started.
  await Promise.all([
    page.waitForEvent('framenavigated', (f) => f === page.mainFrame()),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.waitForLoadState('load');
  const at = new URL(page.url());
  if (at.origin !== origin) {
    const said = (await page.locator('.govuk-error-summary__list').allInnerTexts()).join(' ').trim();
    throw new Error(`the provider did not sign ${username} in: ${said || 'no reason given'} (at ${page.url()})`);
  }
  if (at.pathname.startsWith('/auth/') || at.pathname === '/login') {
    const h1 = (await page.locator('h1').allInnerTexts()).join(' ').trim();
    throw new Error(`COP did not complete the sign-in of ${username}: ${h1 || 'no heading'} (at ${page.url()})`);
  }
}

// expectHeading checks the page's h1 reads text (a string matches exactly,
// after trimming; a RegExp is tested).
export async function expectHeading(page, text) {
  const h1 = page.locator('h1');
  const n = await h1.count();
  if (n !== 1) throw new Error(`expected one h1 on ${page.url()}, found ${n}`);
  const got = (await h1.innerText()).trim();
  const ok = text instanceof RegExp ? text.test(got) : got === text;
  if (!ok) throw new Error(`h1 is ${JSON.stringify(got)}, want ${text instanceof RegExp ? text : JSON.stringify(text)} (at ${page.url()})`);
}

// expectPath checks the page's URL path.
export function expectPath(page, want) {
  const got = new URL(page.url()).pathname;
  if (got !== want) throw new Error(`on ${page.url()}, want path ${want}`);
}

const axeTags = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];

// checkA11y runs axe on the page and throws listing every violation. A page
// without JavaScript cannot run axe itself, so its DOM is checked in a
// scratch JavaScript page, with its scripts removed so nothing changes it.
export async function checkA11y(page, label = page.url()) {
  let results;
  if (withoutJavaScript.has(page.context())) {
    results = await axeOnCopy(page);
  } else {
    results = await axe(page);
  }
  const v = results.violations;
  if (v.length === 0) return;
  const lines = [`axe: ${v.length} violation${v.length === 1 ? '' : 's'} on ${label} (${page.url()}):`];
  for (const r of v) {
    lines.push(`  ${r.id} [${r.impact}] ${r.help} (${r.helpUrl})`);
    for (const node of r.nodes) lines.push(`    at ${node.target.map((t) => [].concat(t).join(' >>> ')).join(' >>> ')}`);
  }
  throw new Error(lines.join('\n'));
}

// press clicks a button or link that loads another page (or the same one
// again, as a page with errors does) and waits until it has loaded.
export async function press(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

// until polls check (an async function returning true when done) until it
// holds, or throws what describe() says after timeout milliseconds.
export async function until(check, describe, timeout = actionTimeout, every = 100) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(typeof describe === 'function' ? await describe() : describe);
    await new Promise((r) => setTimeout(r, every));
  }
}

// isFocused tells whether the locator's element has the keyboard focus.
export function isFocused(locator) {
  return locator.evaluate((el) => el === document.activeElement);
}

// failOnDialogs records every alert, confirm or prompt the page opens (an
// answer's script run by the page would open one) and dismisses it;
// noDialogs throws when there was one.
const dialogs = new WeakMap();
export function failOnDialogs(page) {
  dialogs.set(page, []);
  page.on('dialog', (d) => {
    dialogs.get(page).push(`${d.type()} "${d.message()}" on ${page.url()}`);
    d.dismiss().catch(() => {});
  });
}
export function noDialogs(page) {
  const seen = dialogs.get(page) || [];
  if (seen.length > 0) throw new Error(`the page opened a dialog: ${seen.join('; ')}`);
}

// screenshot saves the page as COP_E2E_SCREENSHOTS/<name>.png for the
// documentation, when that is set: the whole page, or only the window when
// the whole page would make too large a file.
export async function screenshot(page, name) {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  const options = { animations: 'disabled', caret: 'hide' };
  let png = await page.screenshot({ ...options, fullPage: true });
  if (png.length > 300 * 1024) png = await page.screenshot(options);
  writeFileSync(path.join(screenshots, name + '.png'), png);
}

// checkPage runs checkA11y and checks the page fits its screen without
// scrolling sideways (WCAG 1.4.10 Reflow, which axe does not check).
export async function checkPage(page, label) {
  await checkA11y(page, label);
  const [content, width] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  if (content > width) throw new Error(`${label} is ${content}px wide on a ${width}px screen: it scrolls sideways`);
}

// axe reports only violations: collecting passes takes it longer.
function axe(page) {
  return new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).withTags(axeTags).analyze();
}

// One scratch page serves every copy: the page's HTML stands in for its
// URL (so its styles, images and links resolve as on the real page). The
// copies take turns.
let scratch = null;
let copying = Promise.resolve();

function axeOnCopy(page) {
  const turn = copying.then(() => axeOnScratch(page));
  copying = turn.catch(() => {});
  return turn;
}

async function axeOnScratch(page) {
  const html = (await page.content()).replace(/<script\b[^]*?<\/script>/gi, '');
  const url = page.url().split('#')[0];
  if (!scratch) {
    const context = await launch();
    const copy = await context.newPage();
    scratch = { copy, url: '', html: '' };
    await copy.route((u) => u.href.split('#')[0] === scratch.url, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: scratch.html }));
  }
  scratch.url = url;
  scratch.html = html;
  await scratch.copy.setViewportSize(page.viewportSize());
  await scratch.copy.goto(url);
  return axe(scratch.copy);
}

let stepNo = 0;
const running = new Set(); // the steps under way (a journey may run several at once)

// step runs one named part of a journey and prints one line for it. When
// it fails, every open page is saved and the script ends (see run).
export async function step(name, fn) {
  const no = ++stepNo;
  const started = Date.now();
  const current = `${no} ${name}`;
  running.add(current);
  try {
    const out = await fn();
    console.log(`ok   ${String(no).padStart(2)} ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    return out;
  } catch (err) {
    err.copStep ??= current;
    throw err;
  } finally {
    running.delete(current);
  }
}

// run runs a journey: it closes every browser at the end and, on failure,
// saves the open pages and exits non-zero with the failing step and why.
export async function run(journey) {
  const started = Date.now();
  let failed = null;
  try {
    await journey();
  } catch (err) {
    failed = err;
  }
  await finish(failed);
  if (failed) process.exit(1);
  console.log(`ok   ${path.basename(process.argv[1] || 'journey')} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

async function saveAll(stepName) {
  mkdirSync(artifacts, { recursive: true });
  const slug = stepName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  const saved = [];
  let i = 0;
  for (const context of contexts) {
    if (scratch && context === scratch.copy.context()) continue; // axe's copies, not the journey's pages
    for (const page of context.pages()) {
      if (page.isClosed() || page.url() === 'about:blank') continue;
      const stem = path.join(artifacts, `${slug}-${++i}`);
      writeFileSync(stem + '.url.txt', page.url() + '\n');
      writeFileSync(stem + '.html', await page.content().catch((e) => `<!-- could not read the page: ${e.message} -->`));
      await page.screenshot({ path: stem + '.png', fullPage: true, timeout: 10000 }).catch(() => {});
      saved.push(`${stem}.png (${page.url()})`);
    }
  }
  return saved;
}

// finish reports a failure and saves the open pages, then closes every
// browser and removes their profiles.
async function finish(failed) {
  if (failed) {
    const where = failed.copStep ? `step ${failed.copStep}` : 'outside any step';
    console.log(`FAIL ${where}: ${failed.message || failed}`);
    if (!failed.copStep && failed.stack) console.log(failed.stack);
    try {
      for (const saved of await saveAll(failed.copStep || 'journey')) console.log(`     saved ${saved}`);
    } catch (e) {
      console.log(`     could not save pages: ${e.message}`);
    }
  }
  await Promise.allSettled(contexts.map((c) => c.close()));
  for (const dir of profiles) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // a profile left in the temporary directory is harmless
    }
  }
}

// The Go test sends SIGTERM when the journey runs out of time: save the
// pages of the step that hung.
process.on('SIGTERM', async () => {
  const err = new Error('ran out of time (the test sent SIGTERM)');
  err.copStep = [...running].join(', ') || undefined;
  await finish(err);
  process.exit(1);
});

process.on('unhandledRejection', (err) => {
  console.log(`FAIL unhandled: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
