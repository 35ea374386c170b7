// Returned for correction: an officer fills in a crossing report, picking
// the country from a long list by typing (GOV.UK's accessible
// autocomplete), answering a revealed question and naming the crew (a
// repeating group). A supervisor returns it, saying why. The officer finds
// the case under their open cases, sees why it came back, corrects the
// country from Check your answers and sends it; the case page shows the
// corrected answers above the ones they replace. Every kind of page passes
// axe.
import {
  base, launch, signIn, checkA11y, expectHeading, expectPath, step, run,
  press, until, failOnDialogs, noDialogs,
} from './lib.mjs';

const reason = 'The vessel left from Spain, not France';

run(async () => {
  const context = await step('start Chromium', () => launch({ viewport: { width: 1000, height: 800 } }));
  const page = await context.newPage();
  failOnDialogs(page);
  const main = page.getByRole('main');
  const a11y = (what) => step(`${what} passes axe`, () => checkA11y(page, what));
  const continueButton = main.getByRole('button', { name: 'Continue', exact: true });
  const chooseCountry = async (typed, country) => {
    const box = main.getByRole('combobox', { name: 'Country of departure' });
    await box.fill(typed);
    await page.getByRole('option', { name: country, exact: true }).click();
  };
  const signOut = () => press(page, page.locator('header').getByRole('button', { name: 'Sign out' }));

  await step('sign in as officer and start a crossing report', async () => {
    await signIn(page, base, 'officer');
    await page.goto(`${base}/forms/crossing-report`);
    await press(page, main.getByRole('button', { name: 'Start now' }));
    await expectHeading(page, 'The crossing');
  });
  await step('type "fra" to find France among 43 countries', async () => {
    if (await main.locator('select[name="/departedFrom"]').isVisible()) throw new Error('the long select is still shown as a select');
    await chooseCountry('fra', 'France');
    if (await main.locator('select[name="/departedFrom"]').inputValue() !== 'france') throw new Error('choosing France did not set the select');
  });
  await a11y('page with an autocomplete');
  await step('Yes reveals "What did the search find?"', async () => {
    await main.getByRole('group', { name: 'Was the vessel searched?' }).getByLabel('Yes').check();
    await main.getByLabel('What did the search find?').fill('Nothing of note');
    await press(page, continueButton);
    await expectHeading(page, 'Crew');
  });
  await step('name the crew and check the answers', async () => {
    await main.getByLabel('Full name').fill('Ann Master');
    await main.getByRole('group', { name: 'Role' }).getByLabel('Master').check();
    await press(page, continueButton);
    await expectHeading(page, 'Check your answers before submitting');
    if (!(await main.getByText('France').isVisible())) throw new Error('Check your answers does not show France');
  });
  let key;
  await step('submit it', async () => {
    await press(page, main.getByRole('button', { name: 'Submit' }));
    await expectHeading(page, 'Crossing report submitted');
    key = (await main.locator('.govuk-panel__body strong').innerText()).trim();
    if (!/^CRS-\d{8}-\d+$/.test(key)) throw new Error(`the case reference is ${JSON.stringify(key)}`);
  });

  await step('the supervisor returns it for correction', async () => {
    await signOut();
    await signIn(page, base, 'supervisor');
    const open = main.getByRole('link', { name: `Open task for case ${key} (Review the crossing report)`, exact: true });
    await until(async () => {
      if (await open.isVisible()) return true;
      await page.reload();
      return false;
    }, `no review task for ${key}`, 30000, 250);
    await press(page, open);
    if (!(await main.getByText('France').first().isVisible())) throw new Error('the review task does not show the answers');
    await press(page, main.getByRole('button', { name: 'Claim this task' }));
    await main.getByRole('group', { name: 'Your decision' }).getByLabel('Return it to the officer to correct').check();
    await main.getByLabel('What needs correcting').fill(reason);
    await press(page, main.getByRole('button', { name: 'Complete task' }));
    expectPath(page, `/cases/${key}`);
  });

  await step('the officer finds the case under their open cases', async () => {
    await signOut();
    await signIn(page, base, 'officer');
    await page.goto(`${base}/cases?status=open&mine=true`);
    await expectHeading(page, 'Cases');
    const link = main.getByRole('link', { name: key, exact: true });
    await until(async () => {
      if (await main.getByText('Returned for correction').isVisible()) return true;
      await press(page, link);
      if (await main.getByText('Returned for correction').isVisible()) return true;
      await page.goBack();
      return false;
    }, `case ${key} never says it was returned for correction`, 30000, 250);
    const banner = main.getByRole('region', { name: 'Returned for correction' });
    if (!(await banner.getByText(reason).isVisible())) throw new Error(`the banner does not say ${JSON.stringify(reason)}`);
  });
  await a11y('case page returned for correction');
  await step('open the correction and the answers to correct', async () => {
    await press(page, main.getByRole('region', { name: 'Returned for correction' }).getByRole('link', { name: 'Correct your answers' }));
    await expectHeading(page, 'Correct your crossing report');
    if (await main.getByRole('button', { name: 'Claim this task' }).count()) throw new Error('the correction offers a claim');
  });
  await a11y('correction task page');
  await step('"Correct your answers" opens Check your answers', async () => {
    await press(page, main.getByRole('button', { name: 'Correct your answers' }));
    await expectHeading(page, 'Check your corrected answers before sending them');
  });
  await a11y('check your corrected answers');
  await step('change the country to Spain', async () => {
    await press(page, main.getByRole('link', { name: /^Change\s+country of departure/i }));
    await expectHeading(page, 'The crossing');
    await chooseCountry('spa', 'Spain');
    await press(page, continueButton);
    await expectHeading(page, 'Check your corrected answers before sending them');
    if (!(await main.getByText('Spain').isVisible())) throw new Error('Check your answers does not show Spain');
  });
  await step('send the corrected answers', async () => {
    await press(page, main.getByRole('button', { name: 'Send corrected answers' }));
    await expectHeading(page, 'Crossing report corrected');
  });
  await a11y('confirmation of a correction');
  await step('the case shows the correction above the answers it replaces', async () => {
    await press(page, main.getByRole('link', { name: `View case ${key}` }));
    await expectHeading(page, key);
    if (await main.getByText('Returned for correction').count()) throw new Error('the case still says it was returned');
    const text = await main.innerText();
    const corrected = text.indexOf('Crossing report: corrected answers');
    const replaced = text.indexOf('Replaced');
    if (corrected < 0 || replaced < corrected) throw new Error('the corrected answers are not shown above the replaced ones');
    if (!text.slice(corrected, replaced).includes('Spain') || !text.slice(replaced).includes('France')) {
      throw new Error('the two submissions do not show Spain then France');
    }
    noDialogs(page);
  });
  await a11y('case page with a correction');
});
