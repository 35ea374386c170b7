// Operator retries: an instance that relays a report faulted because the
// system it calls was down. The operator finds it under Operate, reads
// where it faulted, brings the system back, retries the instance from its
// failed task with a reason, and watches it complete. On a desktop; the
// test that runs this checks what the system saw.
import {
  base, launch, signIn, checkPage, expectHeading, step, run, press, until, failOnDialogs, noDialogs,
} from './lib.mjs';

const relay = process.env.COP_RELAY;

run(async () => {
  if (!relay) throw new Error('COP_RELAY names no system');
  const context = await step('start Chromium', () => launch({ viewport: { width: 1100, height: 900 } }));
  const page = await context.newPage();
  failOnDialogs(page);
  const main = page.getByRole('main');
  const a11y = (what) => step(`${what} passes axe and fits the screen`, () => checkPage(page, what));

  await step('sign in as operator', () => signIn(page, base, 'operator'));
  await step('Operate: the faulted instance', async () => {
    await press(page, page.getByRole('navigation').getByRole('link', { name: 'Operate' }));
    await press(page, main.getByRole('link', { name: '1 faulted' }));
    await press(page, main.getByRole('link', { name: 'kit/relay 1.0.0' }));
    if (!(await main.getByRole('heading', { name: 'It faulted at /do/1/second' }).isVisible())) throw new Error('no fault at the second call');
  });
  await a11y('the faulted instance');

  await step('a retry needs a reason', async () => {
    await press(page, main.getByRole('button', { name: 'Retry from the failed task' }));
    if (!(await main.getByRole('alert').filter({ hasText: 'Enter why you are retrying it' }).isVisible())) throw new Error('no error summary');
  });
  await a11y('the retry form with its error');

  await step('bring the system back and retry', async () => {
    const back = await fetch(relay + '/_control/up', { method: 'POST' });
    if (back.status !== 204) throw new Error(`the system did not come back: ${back.status}`);
    await main.getByLabel('Why are you retrying it?').fill('The relay is back after maintenance');
    await press(page, main.getByRole('button', { name: 'Retry from the failed task' }));
    if (!(await main.getByText('The instance was retried from the task it faulted in.').isVisible())) throw new Error('no word that it was retried');
  });
  await step('it completes', async () => {
    await until(async () => {
      await page.reload();
      return (await main.locator('.govuk-tag').first().innerText()).trim() === 'completed';
    }, 'the retried instance did not complete');
    const summary = await main.locator('.govuk-summary-list').first().innerText();
    if (!summary.includes('Retried') || !summary.includes('1 times')) throw new Error(`the summary reads ${summary}`);
  });
  await expectHeading(page, /^Instance /);
  await a11y('the completed instance');
  noDialogs(page);
});
