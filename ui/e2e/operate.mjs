// Operate: an operator follows Operate in the navigation, sees the
// instances counted by status, narrows them to the faulted ones (after a
// date that is not one), and opens the faulted instance: its error, and
// its task marked on the workflow's diagram. Then the running instance:
// the events it received, and its open task, which the operator reassigns
// to a member of the task's team (after pressing Reassign with nobody
// chosen). On a desktop with JavaScript and on a 375px phone without it,
// each giving the task to someone else; every page passes axe and fits.
import {
  base, launch, signIn, checkPage, expectHeading, expectPath, step, run, press, failOnDialogs, noDialogs,
} from './lib.mjs';

const faulted = process.env.COP_FAULTED;
const waiting = process.env.COP_WAITING;
const variants = [
  { label: 'desktop', options: { viewport: { width: 1100, height: 900 } }, assignee: 'Olu Officer (dev-officer)' },
  { label: '375px without JavaScript', options: { javaScript: false, viewport: { width: 375, height: 812 } }, assignee: 'Sam Supervisor (dev-supervisor)' },
];

run(async () => {
  if (!faulted || !waiting) throw new Error('COP_FAULTED or COP_WAITING names no instance');
  await Promise.all(variants.map((v) => journey(v)));
});

async function journey({ label, options, assignee }) {
  const context = await step(`${label}: start Chromium`, () => launch(options));
  const page = await context.newPage();
  failOnDialogs(page);
  const s = (what, fn) => step(`${label}: ${what}`, fn);
  const a11y = (what) => s(`${what} passes axe and fits the screen`, () => checkPage(page, `${what} (${label})`));
  const main = page.getByRole('main');

  await s('sign in as operator', () => signIn(page, base, 'operator'));
  await s('Operate lists the instances, counted by status', async () => {
    await page.goto(base + '/');
    if (!(await page.getByRole('navigation').getByRole('link', { name: 'Operate' }).count())) throw new Error('no Operate link');
    await page.goto(base + '/operate');
    await expectHeading(page, 'Operate');
    const counts = await main.getByRole('list', { name: 'Instances by status' }).innerText();
    if (!counts.includes('1 faulted') || !counts.includes('1 running')) throw new Error(`the counts read ${counts}`);
  });
  await a11y('instance list');
  await s('a date that is not one is named', async () => {
    await main.getByLabel('Started from').fill('31/02/2026');
    await press(page, main.getByRole('button', { name: 'Show instances' }));
    if (!(await main.getByRole('alert').filter({ hasText: 'There is a problem' }).isVisible())) throw new Error('no error summary');
  });
  await a11y('instance list with an error');
  await s('the faulted ones', async () => {
    await page.goto(base + '/operate');
    await press(page, main.getByRole('link', { name: '1 faulted' }));
    const rows = await main.getByRole('table', { name: 'Instances' }).getByRole('row').allInnerTexts();
    if (rows.length !== 2 || !rows[1].includes(faulted)) throw new Error(`rows ${JSON.stringify(rows)}`);
  });
  await a11y('faulted instances');
  await s('the faulted instance: its error and its task on the diagram', async () => {
    await press(page, main.getByRole('link', { name: 'kit/count-round 1.0.0' }));
    expectPath(page, `/operate/instances/${faulted}`);
    if (!(await main.getByRole('heading', { name: 'It faulted at /do/0/count' }).isVisible())) throw new Error('no fault with its task');
    if (!(await main.getByRole('img', { name: /count-round/ }).getByText('Faulted here').count())) throw new Error('the diagram does not mark the task');
  });
  await a11y('faulted instance');
  await s('the running instance: the events it received and its open task', async () => {
    await page.goto(base + '/operate');
    await press(page, main.getByRole('link', { name: '1 running' }));
    await press(page, main.getByRole('link', { name: 'kit/wait-round 1.0.0' }));
    expectPath(page, `/operate/instances/${waiting}`);
    const events = await main.getByRole('table', { name: /CloudEvents the instance received/ }).innerText();
    if (!events.includes('cop.test.kit-note') || !events.includes('cop.test.kit-count')) throw new Error(`the events read ${events}`);
    if (!(await main.getByRole('heading', { name: 'Check the kit' }).isVisible())) throw new Error('no open task');
  });
  await a11y('running instance');
  await s('reassigning with nobody chosen is named', async () => {
    await press(page, main.getByRole('button', { name: 'Reassign task' }));
    if (!(await main.getByRole('alert').filter({ hasText: 'Choose who should work Check the kit' }).isVisible())) throw new Error('no error summary');
  });
  await a11y('reassign with its error');
  await s(`reassign the task to ${assignee}`, async () => {
    await main.getByLabel('Reassign Check the kit to').selectOption({ label: assignee });
    await press(page, main.getByRole('button', { name: 'Reassign task' }));
    if (!(await main.getByText('The task has been reassigned.').isVisible())) throw new Error('no word that it was reassigned');
  });
  noDialogs(page);
}
