// Manager reports: a manager follows Reports in the navigation to the
// seizures by month and port, narrows it by date and port (first with a
// date that is not one, fixed from the error summary), reads the chart and
// its table, and downloads the CSV; then the same report without
// JavaScript. Every page passes axe; with COP_E2E_SCREENSHOTS set, the
// documentation's screenshots are saved.
import {
  base, launch, signIn, checkA11y, expectHeading, expectPath, step, run,
  press, until, isFocused, failOnDialogs, noDialogs, screenshot,
} from './lib.mjs';

const title = 'Seizures by month and port';

run(async () => {
  const context = await step('start Chromium', () => launch({ viewport: { width: 1100, height: 900 } }));
  const page = await context.newPage();
  failOnDialogs(page);
  const main = page.getByRole('main');
  const a11y = (what) => step(`${what} passes axe`, () => checkA11y(page, what));

  await step('sign in as manager', () => signIn(page, base, 'manager'));
  await step('Reports in the navigation lists the report', async () => {
    await press(page, page.getByRole('navigation').getByRole('link', { name: 'Reports' }));
    expectPath(page, '/reports');
    await expectHeading(page, 'Reports');
  });
  await a11y('reports list');

  await step(`open "${title}"`, async () => {
    await press(page, main.getByRole('link', { name: title }));
    expectPath(page, '/reports/seizures-by-month');
    await expectHeading(page, title);
    const chart = main.getByRole('img', { name: title });
    if (!(await chart.isVisible())) throw new Error('no chart named by its title');
    const table = main.getByRole('table', { name: title });
    if ((await table.getByRole('row').count()) !== 4) throw new Error('the table does not have a heading row and three rows');
  });
  await a11y('report with its chart');

  const from = main.getByLabel('From', { exact: true });
  const summary = main.getByRole('alert').filter({ hasText: 'There is a problem' });
  await step('a date that is not one is named in the error summary', async () => {
    await from.fill('31/02/2026');
    await press(page, main.getByRole('button', { name: 'Show the report' }));
    if (!(await summary.isVisible())) throw new Error('no error summary');
    if (!(await page.title()).startsWith('Error: ')) throw new Error(`title ${JSON.stringify(await page.title())} does not start "Error: "`);
    if (await main.getByRole('table').count()) throw new Error('a table is shown for parameters that are wrong');
    await summary.getByRole('link').first().click();
    await until(() => isFocused(from), 'the error did not move focus to "From"');
  });
  await a11y('report with an error');

  await step('narrow it to February at Dover', async () => {
    await from.fill('2026-02-01');
    await main.getByRole('group', { name: 'Ports' }).getByLabel('Dover').check();
    await press(page, main.getByRole('button', { name: 'Show the report' }));
    const rows = await main.getByRole('table', { name: title }).getByRole('row').allInnerTexts();
    if (rows.length !== 2 || !/2026-02\s+Dover\s+2\s+310\.5/.test(rows[1])) throw new Error(`rows ${JSON.stringify(rows)}`);
    await screenshot(page, '10-report');
  });
  await a11y('narrowed report');

  await step('Download CSV gives the same rows', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), main.getByRole('link', { name: /^Download CSV/ }).click()]);
    const body = await (await download.createReadStream()).toArray();
    const csv = Buffer.concat(body).toString('utf8');
    if (csv !== 'Month,Port,Seizures,Value (GBP)\n2026-02,Dover,2,310.5\n') throw new Error(`CSV ${JSON.stringify(csv)}`);
  });
  noDialogs(page);

  const plain = await step('start Chromium without JavaScript', () => launch({ javaScript: false }));
  const nojs = await plain.newPage();
  await step('sign in as manager without JavaScript', () => signIn(nojs, base, 'manager'));
  await step('the report works without JavaScript', async () => {
    await nojs.goto(base + '/reports/seizures-by-month');
    await expectHeading(nojs, title);
    await nojs.getByRole('main').getByRole('group', { name: 'Ports' }).getByLabel('Southampton').check();
    await press(nojs, nojs.getByRole('main').getByRole('button', { name: 'Show the report' }));
    const rows = await nojs.getByRole('main').getByRole('table', { name: title }).getByRole('row').allInnerTexts();
    if (rows.length !== 2 || !/2026-01\s+Southampton\s+1\s+50/.test(rows[1])) throw new Error(`rows ${JSON.stringify(rows)}`);
  });
  await step('the report without JavaScript passes axe', () => checkA11y(nojs, 'report without JavaScript'));
});
