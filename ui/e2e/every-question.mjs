// Every question: a form as a new author would write it, with every kind
// of question (text, textarea, number, date, radios, yes/no, checkboxes,
// select, a long select as an autocomplete, a group, a repeating group, a
// file) and every shape of reveal (a radio's, a yes/no's, a checkbox's in
// place; enum, else and a select's on the follow-up page; reveals inside a
// group and inside a repeating entry). The author uploads it as a file and
// previews it with JavaScript; an officer then fills it in on a 375px
// phone without JavaScript. axe checks every page in every state, and no
// page scrolls sideways.
import { readFileSync } from 'node:fs';
import {
  base, launch, signIn, checkPage, expectHeading, expectPath, step, run,
  press, until, failOnDialogs, noDialogs,
} from './lib.mjs';

const form = readFileSync(new URL('../../platform/web/pages/testdata/every-question.json', import.meta.url));
// A 1x1 PNG, for the photo.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

run(async () => {
  await author();
  await officer();
});

function helpers(page, label) {
  const s = (what, fn) => step(`${label}: ${what}`, fn);
  const a11y = (what) => s(`${what} passes axe and fits the screen`, () => checkPage(page, `${what} (${label})`));
  const main = page.getByRole('main');
  const next = () => press(page, main.getByRole('button', { name: 'Continue', exact: true }));
  return { s, a11y, main, next };
}

// fillBasics answers page 1: a text, a textarea, a number and a date.
async function fillBasics(main) {
  await main.getByLabel('Name', { exact: true }).fill('Ada Example');
  await main.getByLabel('What happened (optional)').fill('A routine stop.');
  await main.getByLabel('How many (optional)').fill('3');
  await main.getByLabel('Day').fill('2');
  await main.getByLabel('Month').fill('12');
  await main.getByLabel('Year').fill('2026');
}

async function author() {
  const context = await step('author: start Chromium', () => launch({ viewport: { width: 1100, height: 900 } }));
  const page = await context.newPage();
  failOnDialogs(page);
  const { s, a11y, main, next } = helpers(page, 'author');

  await s('sign in as author', () => signIn(page, base, 'author'));
  await s('upload the form as a file', async () => {
    await page.goto(base + '/author/upload/forms');
    await main.getByLabel('Upload a file').setInputFiles({ name: 'every-question.json', mimeType: 'application/json', buffer: form });
    await press(page, main.getByRole('button', { name: 'Check it' }));
    await expectHeading(page, 'Check and publish');
  });
  const staged = page.url();
  await s('preview: page 1, every plain kind of question', async () => {
    await press(page, main.getByRole('button', { name: 'Preview the form' }));
    await expectHeading(page, 'The basics');
  });
  await a11y('preview page 1');
  await s('preview: page 1 with its errors', async () => {
    await next();
    if (!(await main.getByRole('alert').filter({ hasText: 'There is a problem' }).isVisible())) throw new Error('no error summary');
  });
  await a11y('preview page 1 with errors');
  await s('preview: page 1 answered', async () => {
    await fillBasics(main);
    await next();
    await expectHeading(page, 'Choices');
  });
  await a11y('preview page 2');

  await s('a radio, a yes/no and a checkbox reveal in place', async () => {
    await main.getByLabel('Acting on intelligence').check();
    await until(() => main.getByLabel('Intelligence reference').isVisible(), 'the radio did not reveal its question');
    await main.getByLabel('Intelligence reference').fill('INT-7');
    await main.getByRole('group', { name: 'Did you find anything?' }).getByLabel('Yes', { exact: true }).check();
    await until(() => main.getByLabel('What did you find?').isVisible(), 'Yes did not reveal its question');
    await main.getByLabel('What did you find?').fill('Nothing of note');
    await main.getByLabel('Detector dog').check();
    await until(() => main.getByLabel("Dog's name").isVisible(), 'the checkbox did not reveal its question');
    await main.getByLabel("Dog's name").fill('Rex');
    await main.getByLabel('X-ray').check();
    await main.getByLabel('Lane (optional)').selectOption({ label: 'Red' });
  });
  await a11y('preview page 2 with its reveals open');
  await s('the long list is an autocomplete', async () => {
    const box = main.getByRole('combobox', { name: /Country of departure/ });
    await box.fill('BR');
    await page.getByRole('option', { name: 'BR', exact: true }).click();
  });
  await a11y('preview page 2 with the autocomplete used');
  await s('enum and select reveals are asked on the follow-up page', async () => {
    await next();
    await expectHeading(page, /^More about your answers/);
    for (const q of ['What did the scans show?', 'Why the red lane?']) {
      if (!(await main.getByLabel(q).isVisible())) throw new Error(`the follow-up page does not ask "${q}"`);
    }
  });
  await a11y('preview follow-up page');
  await s('answer the follow-ups', async () => {
    await main.getByLabel('What did the scans show?').fill('Clear');
    await main.getByLabel('Why the red lane?').fill('Goods to declare');
    await next();
    await expectHeading(page, 'Groups, people and a photo');
  });
  await a11y('preview page 3');

  await s('a reveal inside a group and inside a repeating entry', async () => {
    const vehicle = main.getByRole('group', { name: 'The vehicle', exact: true });
    await vehicle.getByLabel('Make (optional)').fill('Ford');
    await vehicle.getByLabel('Another colour').check();
    await until(() => vehicle.getByLabel('What colour?').isVisible(), 'the group\'s radio did not reveal its question');
    await vehicle.getByLabel('What colour?').fill('Teal');
    await press(page, main.getByRole('button', { name: /^Add (a|another) person/ }));
    const person = main.getByRole('group', { name: 'Person 1', exact: true });
    await person.getByLabel('Full name').fill('Bo Traveller');
    await person.getByRole('group', { name: 'Detained?' }).getByLabel('Yes', { exact: true }).check();
    await until(() => person.getByLabel('Where are they held?').isVisible(), 'the entry\'s yes/no did not reveal its question');
    await person.getByLabel('Where are they held?').fill('Dover custody');
    await main.getByLabel('Photo (optional)').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png });
  });
  await a11y('preview page 3 with its reveals open');
  await s('check your answers and finish the preview', async () => {
    await next();
    await expectHeading(page, 'Check your answers before submitting');
    const text = await main.innerText();
    const missing = ['Ada Example', 'INT-7', 'Rex', 'Clear', 'Goods to declare', 'BR', 'Teal', 'Bo Traveller', 'Dover custody', 'File uploaded'].filter((w) => !text.includes(w));
    if (missing.length) throw new Error(`Check your answers lacks ${JSON.stringify(missing)}`);
  });
  await a11y('preview check your answers');
  await s('the answers would be accepted', async () => {
    await press(page, main.getByRole('button', { name: 'Check the answers as a submission' }));
    if (!(await main.getByText('The answers would be accepted').isVisible())) throw new Error('the preview did not accept the answers');
  });
  await a11y('end of the preview');
  await s('publish it', async () => {
    await page.goto(staged);
    await press(page, main.getByRole('button', { name: 'Publish every-question 1.0.0' }));
    expectPath(page, '/author/forms/every-question/versions/1.0.0');
  });
  noDialogs(page);
  await context.close();
}

async function officer() {
  const context = await step('officer: start Chromium', () => launch({ javaScript: false, viewport: { width: 375, height: 812 } }));
  const page = await context.newPage();
  const { s, a11y, main, next } = helpers(page, 'officer, 375px without JavaScript');

  await s('sign in as officer and start the form', async () => {
    await signIn(page, base, 'officer');
    await page.goto(base + '/forms/every-question');
    await press(page, main.getByRole('button', { name: 'Start now' }));
    await expectHeading(page, 'The basics');
  });
  await a11y('page 1');
  await s('page 1', async () => {
    await fillBasics(main);
    await next();
    await expectHeading(page, 'Choices');
  });
  await a11y('page 2');
  await s('page 2: every reveal is asked on the follow-up page', async () => {
    await main.getByLabel('Another reason').check();
    await main.getByRole('group', { name: 'Did you find anything?' }).getByLabel('No', { exact: true }).check();
    await main.getByLabel('Detector dog').check();
    await main.getByLabel('Hand scanner').check();
    await main.getByLabel('Lane (optional)').selectOption({ label: 'Red' });
    await main.getByLabel('Country of departure (optional)').selectOption({ label: 'CA' });
    await next();
    await expectHeading(page, /^More about your answers/);
    for (const q of ['What was the reason?', 'Why do you think nothing was found?', "Dog's name", 'What did the scans show?', 'Why the red lane?']) {
      if (!(await main.getByLabel(q).isVisible())) throw new Error(`the follow-up page does not ask "${q}"`);
    }
  });
  await a11y('follow-up page');
  await s('answer the follow-ups', async () => {
    await main.getByLabel('What was the reason?').fill('A tip-off');
    await main.getByLabel('Why do you think nothing was found?').fill('Nothing there');
    await main.getByLabel("Dog's name").fill('Rex');
    await main.getByLabel('What did the scans show?').fill('Clear');
    await main.getByLabel('Why the red lane?').fill('Goods to declare');
    await next();
    await expectHeading(page, 'Groups, people and a photo');
  });
  await a11y('page 3');
  await s('page 3: a group and a person, their reveals on the follow-up page', async () => {
    const vehicle = main.getByRole('group', { name: 'The vehicle', exact: true });
    await vehicle.getByLabel('Another colour').check();
    await press(page, main.getByRole('button', { name: /^Add (a|another) person/ }));
    // The page comes back with the chosen colour's question shown under it.
    await vehicle.getByLabel('What colour?').fill('Teal');
    const person = main.getByRole('group', { name: 'Person 1', exact: true });
    await person.getByLabel('Full name').fill('Bo Traveller');
    await person.getByRole('group', { name: 'Detained?' }).getByLabel('Yes', { exact: true }).check();
    await next();
    await expectHeading(page, /^More about your answers/);
  });
  await a11y('follow-up page of page 3');
  await s('answer it and reach Check your answers', async () => {
    await main.getByLabel('Where are they held?').fill('Dover custody');
    await next();
    await expectHeading(page, 'Check your answers before submitting');
  });
  await a11y('check your answers');
  await s('submit', async () => {
    await press(page, main.getByRole('button', { name: 'Submit' }));
    if (!(await main.getByText('Every kind of question').count())) throw new Error('no confirmation');
  });
  await a11y('confirmation');
  await context.close();
}
