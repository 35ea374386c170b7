// Officer journey: a new officer signs in, starts a vehicle check from
// "Start something new", makes and fixes mistakes, answers the follow-up
// question (in place with JavaScript, on a page of its own without), adds
// a second person, changes an answer from Check your answers, submits,
// opens the case and signs out. It runs on a desktop, with JavaScript off
// and on a 375px-wide phone, all at once (COP_E2E_VARIANTS=desktop,...
// picks some), and every kind of page it visits passes axe and fits the
// screen. Without JavaScript and on the phone the registration carries a
// script, which must be shown as text and never run.
//
// The desktop run saves the documentation's screenshots 02 to 07 when
// COP_E2E_SCREENSHOTS names a directory (so its registration is a plain
// one); supervisor-approval.mjs saves 01, 08 and 09.
import {
  base, launch, signIn, checkA11y, expectHeading, expectPath, step, run,
  press, until, isFocused, failOnDialogs, noDialogs, screenshot,
} from './lib.mjs';

const allVariants = [
  { label: 'desktop', js: true, options: { viewport: { width: 1000, height: 800 } }, shots: true, registration: 'AB12 CDE' },
  { label: 'no JavaScript', js: false, options: { javaScript: false }, registration: '<script>alert(1)</script> NOJS 02' },
  { label: '375px', js: true, options: { viewport: { width: 375, height: 812 } }, registration: '<script>alert(1)</script> PHON 03' },
];
const picked = (process.env.COP_E2E_VARIANTS || '').split(',').map((s) => s.trim()).filter(Boolean);
const variants = picked.length ? allVariants.filter((v) => picked.includes(v.label)) : allVariants;
if (variants.length === 0) throw new Error(`COP_E2E_VARIANTS=${process.env.COP_E2E_VARIANTS} names none of ${allVariants.map((v) => v.label).join(', ')}`);

// A 1x1 PNG, for the optional photo.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

run(async () => {
  await Promise.all(variants.map((v) => journey(v)));
});

async function journey({ label, js, options, shots, registration }) {
  const context = await step(`${label}: start Chromium`, () => launch(options));
  const page = await context.newPage();
  failOnDialogs(page);
  const shot = (name) => (shots ? screenshot(page, name) : undefined);
  const s = (name, fn) => step(`${label}: ${name}`, fn);
  const main = page.getByRole('main');
  const continueButton = main.getByRole('button', { name: 'Continue', exact: true });
  // Every kind of page passes axe, and fits the screen without scrolling
  // sideways (WCAG 1.4.10 Reflow, which axe does not check).
  const a11y = (what) => s(`${what} passes axe`, async () => {
    await checkA11y(page, `${what} (${label})`);
    const [content, width] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    if (content > width) throw new Error(`${what} is ${content}px wide on a ${width}px screen: it scrolls sideways`);
  });

  await s('sign in as officer', () => signIn(page, base, 'officer'));
  await s(`task list says "Your team's work"`, async () => {
    expectPath(page, '/');
    await expectHeading(page, "Your team's work");
  });
  await a11y('task list');

  await s('"Start something new" in the service navigation', async () => {
    await navigate(page, 'Start something new');
    expectPath(page, '/start');
    await expectHeading(page, 'Start something new');
    await shot('02-start');
  });
  await a11y('start list');

  await s('open "Vehicle check"', async () => {
    // The form itself, by its description (a saved draft of it has the same name).
    const form = main.getByRole('listitem').filter({ hasText: 'Record a check of a vehicle at the border' });
    await press(page, form.getByRole('link', { name: 'Vehicle check', exact: true }));
    expectPath(page, '/forms/vehicle-check');
    await expectHeading(page, 'Vehicle check');
  });
  await a11y('form start page');

  await s('"Start now" opens page 1', async () => {
    await press(page, main.getByRole('button', { name: 'Start now' }));
    if (!/^\/drafts\/[^/]+\/pages\/vehicle$/.test(new URL(page.url()).pathname)) throw new Error(`Start now went to ${page.url()}`);
    await expectHeading(page, 'The vehicle');
  });
  const draft = new URL(page.url()).pathname.split('/')[2];
  const pagePath = (p) => `/drafts/${draft}/pages/${p}`;
  await a11y('form page 1');

  await s('page 1 with an impossible date and "two" people', async () => {
    await main.getByLabel('Registration number').fill(registration);
    await main.getByLabel('Day').fill('31');
    await main.getByLabel('Month').fill('2');
    await main.getByLabel('Year').fill('2026');
    await main.getByLabel('Type of vehicle').selectOption({ label: 'Van' });
    await main.getByLabel('Number of people in the vehicle').fill('two');
    await press(page, continueButton);
    expectPath(page, pagePath('vehicle'));
  });
  const summary = main.getByRole('alert').filter({ hasText: 'There is a problem' });
  const dateError = summary.getByRole('link', { name: 'Date of the check must be a real date' });
  const countError = summary.getByRole('link', { name: 'Number of people in the vehicle must be a number' });
  await s('the error summary lists both mistakes', async () => {
    if (!(await summary.isVisible())) throw new Error('no error summary saying "There is a problem"');
    const links = await summary.getByRole('link').allInnerTexts();
    if (links.length !== 2 || !(await dateError.isVisible()) || !(await countError.isVisible())) {
      throw new Error(`the error summary lists ${JSON.stringify(links)}`);
    }
    if ((await page.title()).startsWith('Error: ') === false) throw new Error(`title ${JSON.stringify(await page.title())} does not start "Error: "`);
    // What was typed is kept, as text.
    if ((await main.getByLabel('Registration number').inputValue()) !== registration) throw new Error('the registration was not kept as typed');
    if ((await main.getByLabel('Number of people in the vehicle').inputValue()) !== 'two') throw new Error('"two" was not kept');
    await shot('04-error-summary');
  });
  await a11y('page 1 with errors');
  await s('the error links move focus to the fields', async () => {
    for (const [link, field] of [[dateError, main.getByLabel('Day')], [countError, main.getByLabel('Number of people in the vehicle')]]) {
      await link.click();
      await until(() => isFocused(field), async () => `"${await link.innerText()}" did not move focus to its field`);
    }
  });
  await s('fix page 1 and continue', async () => {
    await main.getByLabel('Day').fill('28');
    await main.getByLabel('Number of people in the vehicle').fill('2');
    await press(page, continueButton);
    expectPath(page, pagePath('search'));
    await expectHeading(page, 'The search');
  });
  await a11y('form page 2');

  const searched = main.getByRole('group', { name: 'Was the vehicle searched?' });
  const findings = main.getByLabel('What did the search find?');
  await s('page 2: Goods, and Yes for "Was the vehicle searched?"', async () => {
    if (await findings.isVisible()) throw new Error('"What did the search find?" shows before Yes is chosen');
    await main.getByLabel('Goods').check();
    await searched.getByLabel('Yes').check();
  });
  if (js) {
    await s('the follow-up question appears in place and is answered there', async () => {
      await findings.waitFor({ state: 'visible' });
      await findings.fill('Two boxes of cigarettes');
      await shot('03-form-page');
    });
    await a11y('form page 2 with the follow-up question');
    await s('continue to page 3', async () => {
      await press(page, continueButton);
      expectPath(page, pagePath('people'));
    });
  } else {
    await s('the follow-up question stays hidden', async () => {
      if (await findings.isVisible()) throw new Error('"What did the search find?" shows before the answer is sent');
      await press(page, continueButton);
      expectPath(page, pagePath('search') + '/more');
      await expectHeading(page, 'More about your answers: The search');
    });
    await a11y('follow-up page');
    await s('answer the follow-up on its own page and continue', async () => {
      if (await searched.count()) throw new Error('the follow-up page asks "Was the vehicle searched?" again');
      await findings.fill('Two boxes of cigarettes');
      await press(page, continueButton);
      expectPath(page, pagePath('people'));
    });
  }
  await s('page 3 says "People in the vehicle"', () => expectHeading(page, 'People in the vehicle'));
  await a11y('form page 3');

  const person = (n) => main.getByRole('group', { name: `Person ${n}`, exact: true });
  await s('page 3: Person 1, "Add another person", Person 2', async () => {
    if (await person(2).count()) throw new Error('Person 2 is asked for before "Add another person"');
    await person(1).getByLabel('Full name').fill('Ann Driver');
    await person(1).getByLabel('Driver').check();
    await press(page, main.getByRole('button', { name: 'Add another person' }));
    expectPath(page, pagePath('people'));
    if ((await person(1).getByLabel('Full name').inputValue()) !== 'Ann Driver') throw new Error('Person 1 was lost when adding another');
    if (js) {
      const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
      if (focused !== 'f-occupants-1-fullName') throw new Error(`after "Add another" the focus is on ${JSON.stringify(focused)}, not the new person's name`);
    }
    await person(2).getByLabel('Full name').fill('Bo Passenger');
    await person(2).getByLabel('Passenger').check();
    await main.getByLabel('Photo of the vehicle').setInputFiles({ name: 'vehicle.png', mimeType: 'image/png', buffer: png });
    await main.getByLabel('Notes').fill('Calm & cooperative');
    await press(page, continueButton);
    expectPath(page, `/drafts/${draft}/check`);
  });

  await s('Check your answers shows the answers, the registration as typed', async () => {
    await expectHeading(page, 'Check your answers before submitting');
    const text = await main.innerText();
    const want = [registration, '28 February 2026', 'Van', '2', 'Goods', 'Yes', 'Two boxes of cigarettes', 'Ann Driver', 'Driver',
      'Bo Passenger', 'Passenger', 'File uploaded', 'Calm & cooperative'];
    const missing = want.filter((w) => !text.includes(w));
    if (missing.length) throw new Error(`Check your answers lacks ${JSON.stringify(missing)}`);
    if (!(await main.getByText(registration, { exact: true }).isVisible())) throw new Error('the registration is not shown as typed');
    if (await page.locator('script', { hasText: 'alert(' }).count()) throw new Error('the registration reached the page as a script');
    noDialogs(page);
    await shot('05-check-answers');
  });
  await a11y('check answers');

  await s('"Change" the type of vehicle and come back', async () => {
    await press(page, main.getByRole('link', { name: 'Change type of vehicle' }));
    expectPath(page, pagePath('vehicle'));
    await main.getByLabel('Type of vehicle').selectOption({ label: 'Lorry' });
    await press(page, continueButton);
    expectPath(page, `/drafts/${draft}/check`);
    const text = await main.innerText();
    if (!text.includes('Lorry') || text.includes('Van')) throw new Error('Check your answers does not show the type of vehicle changed to Lorry');
  });

  let key;
  await s('Submit shows the case reference', async () => {
    await press(page, main.getByRole('button', { name: 'Submit' }));
    if (!new URL(page.url()).pathname.startsWith('/submissions/')) throw new Error(`Submit went to ${page.url()}`);
    await expectHeading(page, 'Vehicle check submitted');
    const m = (await main.innerText()).match(/Your case reference\s+(VEH-(\d{8})-\d+)/);
    if (!m) throw new Error('no case reference VEH-YYYYMMDD-N in the confirmation');
    key = m[1];
    await shot('06-confirmation');
  });
  await a11y('confirmation');

  await s('"View case" shows the answers and the timeline', async () => {
    await press(page, main.getByRole('link', { name: `View case ${key}` }));
    expectPath(page, `/cases/${key}`);
    await expectHeading(page, key);
    if (!(await main.getByRole('heading', { name: 'Person 1' }).count())) throw new Error('the answers lack the card of "Person 1"');
    if (!(await main.getByText('Submitted by Olu Officer').count())) throw new Error('the answers do not say who submitted them');
    const photo = main.getByRole('link', { name: 'Download the file for photo of the vehicle' });
    if (!(await photo.count())) throw new Error('the answers lack a link to the photo');
    const got = await page.request.get(new URL(await photo.getAttribute('href'), page.url()).href);
    if (got.status() !== 200 || got.headers()['content-type'] !== 'image/png') throw new Error(`the photo's link answers ${got.status()} ${got.headers()['content-type']}`);
    const timeline = main.getByRole('table', { name: 'What happened on this case, oldest first' });
    for (const what of ['Submitted Vehicle check', 'Workflow Review a vehicle check started']) {
      if (!(await timeline.getByRole('cell', { name: what }).count())) throw new Error(`the timeline lacks "${what}"`);
    }
    await shot('07-case');
  });
  await a11y('case page');

  await s('"Cases" in the service navigation finds the case again', async () => {
    await navigate(page, 'Cases');
    expectPath(page, '/cases');
    await expectHeading(page, 'Cases');
    await main.getByLabel('Case reference').fill(key);
    await press(page, main.getByRole('button', { name: 'Search' }));
    if (!(await main.getByRole('link', { name: key, exact: true }).count())) throw new Error(`the search for ${key} does not find it`);
  });
  await a11y('case list');

  await s('"Notifications" in the service navigation', async () => {
    await navigate(page, /^Notifications/);
    expectPath(page, '/notifications');
    await expectHeading(page, 'Notifications');
  });
  await a11y('notifications page');

  await s('sign out from the header', async () => {
    await press(page, page.locator('header').getByRole('button', { name: 'Sign out' }));
    expectPath(page, '/signed-out');
    await expectHeading(page, /signed out/i);
    noDialogs(page);
  });
  await a11y('signed-out page');
  await context.close();
}

// navigate follows a link of the service navigation, opening its menu
// first where a narrow screen folds it away.
async function navigate(page, name) {
  const nav = page.getByRole('navigation', { name: 'Menu' });
  const link = nav.getByRole('link', { name });
  const menu = nav.getByRole('button', { name: 'Menu' });
  if (!(await link.isVisible()) && (await menu.isVisible())) await menu.click();
  await press(page, link);
}
