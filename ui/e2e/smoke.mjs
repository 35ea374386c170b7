// Smoke journey: an officer signs in, lands on their team's work and signs
// out, on a desktop, on a 375px-wide phone and with JavaScript off; every
// page passes axe.
import { base, launch, signIn, checkA11y, expectHeading, expectPath, step, run } from './lib.mjs';

const variants = [
  { label: 'desktop', options: {} },
  { label: '375px', options: { viewport: { width: 375, height: 812 } } },
  { label: 'no JavaScript', options: { javaScript: false } },
];

run(async () => {
  for (const { label, options } of variants) {
    const context = await step(`${label}: start Chromium`, () => launch(options));
    const page = await context.newPage();
    await step(`${label}: sign in as officer`, () => signIn(page, base, 'officer'));
    await step(`${label}: home says "Your team's work"`, async () => {
      expectPath(page, '/');
      await expectHeading(page, "Your team's work");
    });
    await step(`${label}: home passes axe`, () => checkA11y(page, `home (${label})`));
    await step(`${label}: sign out from the header`, async () => {
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/signed-out', { waitUntil: 'load' }),
        page.locator('header').getByRole('button', { name: 'Sign out' }).click(),
      ]);
      expectPath(page, '/signed-out');
      await expectHeading(page, /signed out/i);
    });
    await step(`${label}: signed-out page passes axe`, () => checkA11y(page, `signed out (${label})`));
    await context.close();
  }
});
