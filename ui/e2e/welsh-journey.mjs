// Welsh journey: an officer opens a form written in English and Welsh,
// chooses Cymraeg in the header's language toggle, and fills it in Welsh:
// a mistake explained in Welsh, a question revealed by "Ie", a character
// count counting in Welsh, Check your answers and the confirmation, then
// English again from the toggle. Every page passes axe; each says its
// language in its lang attribute. COP_FORM names the form
// (boarding-bilingual).
import {
  base, launch, signIn, checkA11y, expectHeading, expectPath, step, run, press, until, failOnDialogs,
} from './lib.mjs';

const form = process.env.COP_FORM || 'boarding-bilingual';

run(async () => {
  const context = await step('start Chromium', () => launch({ viewport: { width: 1000, height: 800 } }));
  const page = await context.newPage();
  failOnDialogs(page);
  const main = page.getByRole('main');
  const a11y = (what) => step(`${what} passes axe`, () => checkA11y(page, what));
  const expectLang = async (want) => {
    const got = await page.locator('html').getAttribute('lang');
    if (got !== want) throw new Error(`<html lang="${got}">, want "${want}" (at ${page.url()})`);
  };
  const toggle = page.getByRole('navigation', { name: /Choose a language|Dewiswch iaith/ });

  await step('sign in as officer', () => signIn(page, base, 'officer'));
  await step('open the form in English', async () => {
    await page.goto(`${base}/forms/${form}`);
    await expectHeading(page, 'Record a boarding');
    await expectLang('en-GB');
  });
  await step('choose Cymraeg in the language toggle', async () => {
    await press(page, toggle.getByRole('link', { name: 'Newid yr iaith i’r Gymraeg' }));
    expectPath(page, `/forms/${form}`);
    await expectHeading(page, 'Cofnodi byrddio');
    await expectLang('cy');
    if (!(await main.getByText('Mae gan y ffurflen 2 dudalen').isVisible())) throw new Error('the page count is not in Welsh');
  });
  await a11y('the start page in Welsh');

  await step('"Dechrau nawr" opens page 1 in Welsh, remembered without ?lang', async () => {
    await press(page, main.getByRole('button', { name: 'Dechrau nawr' }));
    if (new URL(page.url()).search.includes('lang=')) throw new Error(`the language rode in the URL: ${page.url()}`);
    await expectLang('cy');
    await expectHeading(page, 'Y llong');
    if (!(await main.getByText('Tudalen 1 o 2').isVisible())) throw new Error('no "Tudalen 1 o 2"');
  });
  await a11y('page 1 in Welsh');

  await step('"Parhau" without answers: the error summary in Welsh', async () => {
    await press(page, main.getByRole('button', { name: 'Parhau', exact: true }));
    const summary = page.getByRole('alert');
    await until(async () => (await summary.innerText()).includes('Mae problem wedi codi'), 'no Welsh error summary');
    const text = await summary.innerText();
    for (const want of ['Rhowch enw’r llong', 'Rhowch dyddiad byrddio', 'Dewiswch a chwiliwyd y llong?']) {
      if (!text.includes(want)) throw new Error(`the error summary lacks "${want}": ${text}`);
    }
    if (!(await page.title()).startsWith('Gwall: ')) throw new Error(`title ${await page.title()}`);
  });
  await a11y('page 1 with errors in Welsh');

  await step('answer page 1; "Ie" reveals the follow-up question', async () => {
    await main.getByLabel('Enw’r llong').fill('Morwennol');
    await main.getByLabel('Diwrnod').fill('2');
    await main.getByLabel('Mis').fill('12');
    await main.getByLabel('Blwyddyn').fill('2026');
    await main.getByRole('group', { name: 'A chwiliwyd y llong?' }).getByLabel('Ie').check();
    const revealed = main.getByLabel('Nwyddau i’w hatafaelu');
    await until(() => revealed.isVisible(), '"Ie" did not reveal the outcome');
    await revealed.check();
    await press(page, main.getByRole('button', { name: 'Parhau', exact: true }));
    await expectHeading(page, 'Nodiadau (dewisol)');
  });
  await step('the character count counts in Welsh', async () => {
    await main.getByLabel('Nodiadau (dewisol)').fill('Dim');
    await until(async () => (await main.getByText(/nod ar ôl/).count()) > 0, 'the character count is not in Welsh');
  });
  await a11y('page 2 in Welsh');

  await step('Check your answers in Welsh', async () => {
    await press(page, main.getByRole('button', { name: 'Parhau', exact: true }));
    await expectHeading(page, 'Gwiriwch eich atebion cyn eu cyflwyno');
    for (const want of ['Morwennol', 'Nwyddau i’w hatafaelu', 'Ie']) {
      if ((await main.getByText(want, { exact: true }).count()) === 0) throw new Error(`Check your answers lacks "${want}"`);
    }
  });
  await a11y('check your answers in Welsh');

  await step('"Cyflwyno" submits: the confirmation in Welsh', async () => {
    await press(page, main.getByRole('button', { name: 'Cyflwyno' }));
    await expectHeading(page, /Cofnodi byrddio wedi’i chyflwyno/);
    if (!(await main.getByText('Bydd y tîm byrddio yn adolygu eich cofnod.').isVisible())) throw new Error('the confirmation text is not in Welsh');
  });
  await a11y('the confirmation in Welsh');

  await step('"English" in the toggle: the same page in English', async () => {
    await press(page, toggle.getByRole('link', { name: 'Change the language to English' }));
    await expectLang('en-GB');
    await expectHeading(page, /Record a boarding submitted/);
  });
  await a11y('the confirmation in English');
  await context.close();
});
