// Author workflow: an author uploads a workflow, reads its diagram and the
// same steps as a list, tries it as a draft with input that makes it
// fault and sees the task marked where it faulted, tries again and sees
// it complete (its user task and notification given to the author alone),
// publishes it and follows its user task's form to a preview. On a desktop
// with JavaScript and on a 375px-wide phone without it; every page passes
// axe and fits the screen.
import { readFileSync } from 'node:fs';
import {
  base, launch, signIn, checkPage, expectHeading, expectPath, step, run,
  press, failOnDialogs, noDialogs, screenshot,
} from './lib.mjs';

const variants = [
  { label: 'desktop', js: true, options: { viewport: { width: 1100, height: 900 } }, name: 'kit-round', shots: true },
  { label: '375px without JavaScript', js: false, options: { javaScript: false, viewport: { width: 375, height: 812 } }, name: 'kit-round-phone' },
];

// A supervisor checks the kit, a team is told, and the battery count is
// read as a number: "four" makes the last task fault
// (platform/web/pages/testdata/kit-round.yaml, as in docs/authoring.md).
const kitRound = readFileSync(new URL('../../platform/web/pages/testdata/kit-round.yaml', import.meta.url), 'utf8');
const workflow = (name) => kitRound.replace('name: kit-round', `name: ${name}`);

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
  const tryIt = async (input, taskData) => {
    await main.getByLabel('Input (JSON)').fill(input);
    await main.getByLabel('Task data (JSON, optional)').fill(taskData);
    await press(page, main.getByRole('button', { name: 'Run a draft' }));
  };

  await s('sign in as author', () => signIn(page, base, 'author'));
  const text = main.getByLabel('Or paste the workflow', { exact: true });
  await s('upload the workflow with a mistake: a jump to a task it does not have', async () => {
    await page.goto(base + '/author/upload/workflows');
    await expectHeading(page, 'Upload a workflow');
    await text.fill(workflow(name).replace('then: count', 'then: cuont'));
    await press(page, main.getByRole('button', { name: 'Check it' }));
    const items = await main.getByRole('alert').filter({ hasText: 'There is a problem' }).getByRole('listitem').allInnerTexts();
    if (items.length !== 1 || !items[0].startsWith('/do/2/decide/switch/1/some/then (line 22, column 13)')) throw new Error(`the error summary says ${JSON.stringify(items)}`);
  });
  await a11y('workflow upload with an error');
  await s('fix it', async () => {
    await text.fill(workflow(name));
    await press(page, main.getByRole('button', { name: 'Check it' }));
    await expectHeading(page, 'Check and publish');
  });
  await s('its diagram, and the same steps as a list', async () => {
    const diagram = main.getByRole('img', { name: /Kit round/ });
    if (!(await diagram.isVisible())) throw new Error('no diagram named after the workflow');
    const steps = await main.locator('.cop-steps > li').allInnerTexts();
    if (steps.length !== 4 || !steps[0].includes('check (User task)') || !steps[2].includes('decide (Switch)')) throw new Error(`the steps read ${JSON.stringify(steps)}`);
    await shot('04-diagram');
  });
  await a11y('workflow upload with its diagram');

  await s('a draft run that faults shows where', async () => {
    await tryIt('{"batteries": "four"}', '{"radio": "R-9"}');
    const fault = main.getByRole('heading', { name: /^The draft run faulted at \/do\/3\/count/ });
    if (!(await fault.isVisible())) throw new Error('no fault named with its task');
    const marked = await main.locator('.cop-steps--faulted').allInnerTexts();
    if (marked.length !== 1 || !marked[0].includes('count') || !marked[0].includes('Faulted here')) throw new Error(`marked in the list: ${JSON.stringify(marked)}`);
    if (!(await main.getByRole('img', { name: /Kit round/ }).getByText('Faulted here').count())) throw new Error('the diagram does not mark the task');
    await shot('05-fault');
  });
  await a11y('draft run that faulted');

  await s('a draft run that completes, its work given to the author', async () => {
    await tryIt('{"batteries": "4"}', '{"radio": "R-9"}');
    if (!(await main.getByText('The draft run ended').isVisible())) throw new Error('it did not complete');
    if (!(await main.getByText('"batteries": 4').isVisible())) throw new Error('no output');
    if (!(await main.getByRole('link', { name: 'Check the kit' }).isVisible())) throw new Error('no user task listed');
    if (!(await main.getByText('Kit checked').isVisible())) throw new Error('no notification listed');
  });
  await a11y('draft run that completed');

  await s('publish, and preview the form its user task uses', async () => {
    await press(page, main.getByRole('button', { name: `Publish kit/${name} 1.0.0` }));
    expectPath(page, `/author/workflows/kit/${name}/versions/1.0.0`);
    await press(page, main.getByRole('link', { name: /^Preview form kit-check/ }));
    await expectHeading(page, 'Preview Kit check');
    await press(page, main.getByRole('button', { name: 'Start the preview' }));
    await expectHeading(page, 'Radio serial number');
  });
  await a11y('preview from the workflow');
  noDialogs(page);
}
