// Supervisor approval: after an officer has submitted a vehicle check
// (COP_CASE is its case, COP_REGISTRATION the registration it gave), the
// supervisor finds "Decide on vehicle …" in their team's work, claims it,
// is told to answer before completing it, holds the vehicle with a reason
// revealed in place, and sees the task completed on the case. The officer
// then signs in to the "Vehicle check decided" notification and marks it
// read. Every kind of page passes axe; with COP_E2E_SCREENSHOTS set, the
// documentation's screenshots are saved.
import {
  base, launch, signIn, checkA11y, expectHeading, expectPath, step, run,
  press, until, isFocused, failOnDialogs, noDialogs, screenshot,
} from './lib.mjs';

const key = process.env.COP_CASE;
const registration = process.env.COP_REGISTRATION || 'AB12 CDE';
if (!key) throw new Error('COP_CASE must name the case of a submitted vehicle check');
const title = `Decide on vehicle ${registration}`;
const reason = 'The MOT certificate is forged';

run(async () => {
  const context = await step('start Chromium', () => launch({ viewport: { width: 1000, height: 800 } }));
  const page = await context.newPage();
  failOnDialogs(page);
  const main = page.getByRole('main');
  const a11y = (what) => step(`${what} passes axe`, () => checkA11y(page, what));

  await step('sign in as supervisor', () => signIn(page, base, 'supervisor'));
  const open = main.getByRole('link', { name: `Open task for case ${key} (${title})`, exact: true });
  await step(`"${title}" is in the task list`, async () => {
    expectPath(page, '/');
    await expectHeading(page, "Your team's work");
    // The workflow gives the task a moment after the submission.
    await until(async () => {
      if (await open.isVisible()) return true;
      await page.reload();
      return false;
    }, `no task "${title}" for case ${key} in the list`, 30000, 250);
    if (!(await main.getByRole('heading', { name: title, exact: true }).first().isVisible())) throw new Error(`no card headed "${title}"`);
    await screenshot(page, '01-task-list');
  });
  await a11y('task list');

  await step('open the task', async () => {
    await press(page, open);
    if (!/^\/tasks\/[0-9a-f-]{36}$/.test(new URL(page.url()).pathname)) throw new Error(`Open went to ${page.url()}`);
    await expectHeading(page, title);
  });
  const taskPath = new URL(page.url()).pathname;
  await a11y('task page');

  const completeButton = main.getByRole('button', { name: 'Complete task' });
  await step('claim it', async () => {
    if (await completeButton.count()) throw new Error('the task can be completed before it is claimed');
    await press(page, main.getByRole('button', { name: 'Claim this task' }));
    expectPath(page, taskPath);
    if (!(await main.getByText('You have claimed this task').isVisible())) throw new Error('no "You have claimed this task" banner');
  });
  await a11y('claimed task page');

  const summary = main.getByRole('alert').filter({ hasText: 'There is a problem' });
  const decision = main.getByRole('group', { name: 'Can the vehicle be released?' });
  const why = main.getByLabel('Why is the vehicle held?');
  await step('"Complete task" without an answer shows the error summary', async () => {
    await press(page, completeButton);
    expectPath(page, taskPath + '/complete');
    if (!(await summary.isVisible())) throw new Error('no error summary saying "There is a problem"');
    const links = summary.getByRole('link');
    const texts = await links.allInnerTexts();
    if (texts.length !== 1) throw new Error(`the error summary lists ${JSON.stringify(texts)}, want one error about the decision`);
    if (!(await page.title()).startsWith('Error: ')) throw new Error(`title ${JSON.stringify(await page.title())} does not start "Error: "`);
    await links.click();
    const yes = decision.getByLabel('Yes');
    await until(() => isFocused(yes), `"${texts[0]}" did not move focus to the first answer`);
  });
  await a11y('task page with errors');

  await step('No reveals "Why is the vehicle held?" in place', async () => {
    if (await why.isVisible()) throw new Error('"Why is the vehicle held?" shows before No is chosen');
    await decision.getByLabel('No').check();
    await why.waitFor({ state: 'visible' });
    await why.fill(reason);
    await screenshot(page, '08-supervisor-task');
  });
  await step('complete the task: the case shows it completed', async () => {
    await press(page, completeButton);
    expectPath(page, `/cases/${key}`);
    await expectHeading(page, key);
    if (!(await main.getByText('You have completed the task.').isVisible())) throw new Error('no "You have completed the task." banner');
    const timeline = main.getByRole('table', { name: 'What happened on this case, oldest first' });
    if (!(await timeline.getByRole('cell', { name: `Task ${title} completed` }).count())) throw new Error(`the timeline lacks "Task ${title} completed"`);
    noDialogs(page);
  });
  await a11y('case page');

  await step('sign out, and the officer signs in', async () => {
    await press(page, page.locator('header').getByRole('button', { name: 'Sign out' }));
    expectPath(page, '/signed-out');
    await signIn(page, base, 'officer');
    expectPath(page, '/');
  });
  const banner = main.getByRole('region', { name: 'Notification' }).filter({ hasText: 'Vehicle check decided' });
  await step('the officer sees "Vehicle check decided"', async () => {
    // The workflow notifies the officer once the task is complete.
    await until(async () => {
      if (await banner.isVisible()) return true;
      await page.reload();
      return false;
    }, 'no "Vehicle check decided" notification', 30000, 250);
    const text = await banner.innerText();
    if (!text.includes(`The vehicle is held: ${reason}`)) throw new Error(`the notification says ${JSON.stringify(text)}`);
    await screenshot(page, '09-notification');
  });
  await a11y('task list with a notification');
  await step('"Mark as read" removes it', async () => {
    await press(page, banner.getByRole('button', { name: 'Mark as read' }));
    expectPath(page, '/');
    if (await banner.count()) throw new Error('the notification is still shown after "Mark as read"');
    noDialogs(page);
  });
});
