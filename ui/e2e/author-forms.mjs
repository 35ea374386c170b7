// Author forms: a new author finds Authoring in the navigation, pastes a
// form written in YAML with two mistakes, reads them in the error summary
// (each link goes to its line in the listing), fixes them, previews the
// form page by page as an officer would (a "no" revealing a question),
// publishes it, uploads version 2, compares it with version 1 and retires
// version 1. It runs on a desktop with JavaScript and on a 375px-wide
// phone without it, at once; every page passes axe and fits the screen.
import { readFileSync } from 'node:fs';
import {
  base, launch, signIn, checkPage, expectHeading, expectPath, step, run,
  press, until, failOnDialogs, noDialogs, screenshot,
} from './lib.mjs';

const variants = [
  { label: 'desktop', js: true, options: { viewport: { width: 1100, height: 900 } }, name: 'kit-check', shots: true },
  { label: '375px without JavaScript', js: false, options: { javaScript: false, viewport: { width: 375, height: 812 } }, name: 'kit-check-phone' },
];

// The form as a new author writes it (platform/web/pages/testdata, as in
// docs/authoring.md): "maxLenght" (line 14) and "titel" (line 17) are
// misspelt.
const kitCheck = readFileSync(new URL('../../platform/web/pages/testdata/kit-check.yaml', import.meta.url), 'utf8');
const withMistakes = (name) => kitCheck.replace('name: kit-check', `name: ${name}`);
const fixed = (name) => withMistakes(name).replace('maxLenght', 'maxLength').replace('titel', 'title');
const version2 = (name) => fixed(name).replace('version: 1.0.0', 'version: 1.1.0').replace('title: Kit check', 'title: Kit and torch check');

run(async () => {
  await Promise.all(variants.map((v) => journey(v)));
});

async function journey({ label, js, options, name, shots }) {
  const context = await step(`${label}: start Chromium`, () => launch(options));
  const page = await context.newPage();
  failOnDialogs(page);
  const s = (what, fn) => step(`${label}: ${what}`, fn);
  const shot = (file) => (shots ? screenshot(page, file) : undefined);
  const main = page.getByRole('main');
  const a11y = (what) => s(`${what} passes axe and fits the screen`, () => checkPage(page, `${what} (${label})`));
  const text = main.getByLabel('Or paste the form', { exact: true });
  const check = main.getByRole('button', { name: 'Check it' });

  await s('sign in as author', () => signIn(page, base, 'author'));
  await s('Authoring in the navigation', async () => {
    if (js) {
      await press(page, page.getByRole('navigation').getByRole('link', { name: 'Authoring' }));
    } else {
      await page.goto(base + '/author'); // the phone's menu is a list of links either way
      if (!(await page.getByRole('navigation').getByRole('link', { name: 'Authoring' }).count())) throw new Error('no Authoring link');
    }
    expectPath(page, '/author');
    await expectHeading(page, 'Authoring');
  });
  await a11y('authoring list');

  await s('upload a form with two mistakes', async () => {
    await press(page, main.getByRole('link', { name: 'Upload a form' }));
    await expectHeading(page, 'Upload a form');
    await text.fill(withMistakes(name));
    await press(page, check);
    const summary = main.getByRole('alert').filter({ hasText: 'There is a problem' });
    if (!(await summary.isVisible())) throw new Error('no error summary');
    const items = await summary.getByRole('listitem').allInnerTexts();
    if (items.length !== 2 || !items[0].includes('/schema/properties/radio/maxLenght (line 14, column 7)') || !items[1].includes('(line 17, column 7)')) {
      throw new Error(`the error summary says ${JSON.stringify(items)}`);
    }
    if (!(await page.title()).startsWith('Error: ')) throw new Error('the title does not start "Error: "');
    await shot('01-upload-errors');
  });
  await a11y('upload with errors');

  await s('each error links to its line in the listing', async () => {
    await main.getByRole('alert').getByRole('link').first().click();
    await until(async () => new URL(page.url()).hash === '#line-14', 'the first error did not go to line 14');
    const line = main.locator('#line-14');
    if (!(await line.innerText()).includes('maxLenght: 20')) throw new Error(`line 14 reads ${await line.innerText()}`);
  });

  await s('fix both and check again', async () => {
    if (!(await text.inputValue()).includes('maxLenght')) throw new Error('the text area does not give the text back to fix');
    await text.fill(fixed(name));
    await press(page, check);
    await expectHeading(page, 'Check and publish');
    if (!(await main.getByText('This form passed its checks. Nothing is published until you press Publish.').isVisible())) throw new Error('no word that nothing is published yet');
  });
  await a11y('upload to publish');
  const staged = new URL(page.url()).pathname;

  await s('preview page 1, with an error to fix', async () => {
    await press(page, main.getByRole('button', { name: 'Preview the form' }));
    await expectHeading(page, 'Radio serial number');
    if (!(await main.getByText('You are previewing this form as an officer would fill it in.').isVisible())) throw new Error('page 1 is not marked as a preview');
    await press(page, main.getByRole('button', { name: 'Continue', exact: true }));
    if (!(await main.getByRole('alert').filter({ hasText: 'There is a problem' }).isVisible())) throw new Error('no error for an empty answer');
  });
  await a11y('preview page with an error');

  await s('preview page 2: "No" asks why', async () => {
    await main.getByLabel('Radio serial number').fill('R-1');
    await press(page, main.getByRole('button', { name: 'Continue', exact: true }));
    await expectHeading(page, 'Are the batteries charged?');
    await main.getByLabel('No', { exact: true }).check();
    if (js) {
      await until(() => main.getByLabel('Why not?').isVisible(), '"No" did not reveal "Why not?" in place');
    } else {
      await press(page, main.getByRole('button', { name: 'Continue', exact: true }));
      await expectHeading(page, /^More about your answers/);
    }
  });
  await a11y('preview with the question revealed');

  await s('Check your answers, then the end of the preview', async () => {
    await main.getByLabel('Why not?').fill('Left in the van');
    await press(page, main.getByRole('button', { name: 'Continue', exact: true }));
    await expectHeading(page, 'Check your answers before submitting');
    if (!(await main.getByText('Left in the van').isVisible())) throw new Error('the answer is not on Check your answers');
  });
  await a11y('preview check your answers');
  await s('the answers would be accepted, and nothing was submitted', async () => {
    await press(page, main.getByRole('button', { name: 'Check the answers as a submission' }));
    if (!(await main.getByText('The answers would be accepted').isVisible())) throw new Error('no panel');
    if (!(await main.getByText('"why": "Left in the van"').isVisible())) throw new Error('the answers sent are not shown');
  });
  await a11y('end of the preview');

  await s('publish', async () => {
    await page.goto(base + staged);
    await press(page, main.getByRole('button', { name: `Publish ${name} 1.0.0` }));
    expectPath(page, `/author/forms/${name}/versions/1.0.0`);
    if (!(await main.getByText('Version 1.0.0 is published.').isVisible())) throw new Error('no word that it is published');
    await shot('02-published');
  });
  await a11y('published version');

  await s('upload version 2: its changes are shown', async () => {
    await page.goto(base + '/author/upload/forms');
    await text.fill(version2(name));
    await press(page, check);
    await expectHeading(page, 'Check and publish');
    if (!(await main.getByText('Changes since version 1.0.0').isVisible())) throw new Error('no changes since version 1.0.0');
    await press(page, main.getByRole('button', { name: `Publish ${name} 1.1.0` }));
  });

  await s('all versions', async () => {
    await press(page, main.getByRole('link', { name: 'All versions' }).or(page.getByRole('link', { name: 'All versions' })).first());
    expectPath(page, `/author/forms/${name}`);
    const rows = await main.getByRole('table', { name: 'Versions' }).getByRole('row').allInnerTexts();
    if (rows.length !== 3 || !rows[1].includes('1.1.0') || !rows[2].includes('1.0.0')) throw new Error(`the versions read ${JSON.stringify(rows)}`);
  });
  await a11y('versions');

  await s('compare version 2 with version 1', async () => {
    await main.getByLabel('From version').selectOption('1.0.0');
    await main.getByLabel('To version').selectOption('1.1.0');
    await press(page, main.getByRole('button', { name: 'Compare' }));
    await expectHeading(page, 'Version 1.0.0 compared with 1.1.0');
    const diff = await main.locator('.cop-diff').innerText();
    if (!diff.includes('"title": "Kit check"') || !diff.includes('"title": "Kit and torch check"')) throw new Error(`the diff reads ${diff}`);
    if (!(await main.getByText(/^Added line \d+:/).count())) throw new Error('an added line is not said to be added');
    await shot('03-diff');
  });
  await a11y('diff of two versions');

  await s('retire version 1', async () => {
    await page.goto(base + `/author/forms/${name}/versions/1.0.0`);
    await press(page, main.getByRole('button', { name: 'Retire version 1.0.0' }));
    if (!(await main.getByText(/Version 1.0.0 is retired/).isVisible())) throw new Error('no word that it is retired');
  });
  await a11y('retired version');
  noDialogs(page);
}
