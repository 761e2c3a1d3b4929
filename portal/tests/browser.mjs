// Starting Debian's Chromium for the portal tests, headless, with a fresh
// profile, through playwright-core (which downloads no browser of its own).

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.DS_CHROMIUM || '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

// launch() -> { context, close }: one persistent context on a fresh
// --user-data-dir, removed again by close().
export async function launch({ viewport = DESKTOP, downloads } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'ds-portal-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // The stack's certificate is self-signed, for 127.0.0.1 only.
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    downloadsPath: downloads,
    viewport,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync'],
    // The fresh profile goes in as --user-data-dir: playwright passes the
    // folder given to launchPersistentContext that way (and refuses the
    // flag in args).
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
