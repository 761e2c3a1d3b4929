// node shots.mjs OUTDIR route... : a screenshot of each portal route
// (desktop and phone), for looking at the pages. DS_URL is the stack;
// DS_CLIENT_ID / DS_CLIENT_SECRET sign in first when set; DS_LANG=en.
import { launch, DESKTOP, PHONE } from './browser.mjs';
import { mkdirSync } from 'node:fs';

const [out, ...routes] = process.argv.slice(2);
const base = (process.env.DS_URL || 'https://127.0.0.1:8443').replace(/\/$/, '');
mkdirSync(out, { recursive: true });
for (const [tag, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  const b = await launch({ viewport });
  const page = await b.context.newPage();
  page.on('console', m => { if (m.type() === 'error') console.error(`console: ${m.text()}`); });
  page.on('pageerror', e => console.error(`pageerror: ${e.message}`));
  await page.goto(`${base}/`);
  if (process.env.DS_LANG === 'en') {
    await page.evaluate(() => localStorage.setItem('ds.lang', 'en'));
    await page.reload();
  }
  if (process.env.DS_CLIENT_ID) {
    await page.goto(`${base}/#/signin`);
    await page.fill('input[name=client_id]', process.env.DS_CLIENT_ID);
    await page.fill('input[name=client_secret]', process.env.DS_CLIENT_SECRET);
    await page.click('form button[type=submit]');
    await page.waitForURL(/#\/ws/);
  }
  for (const [i, r] of routes.entries()) {
    await page.goto(`${base}/?shot=${i}#${r}`);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(300);
    const name = `${tag}-${r.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home'}.png`;
    await page.screenshot({ path: `${out}/${name}`, fullPage: true });
    console.log(`${out}/${name}`);
  }
  await b.close();
}
