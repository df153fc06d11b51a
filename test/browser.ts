/**
 * Opening a generated HTML file in a real headless browser (Debian's chromium, driven by
 * playwright-core), for the tests of what a user sees. `openPage` records every console error,
 * page error and request that is not the file itself: a self-contained page has none of them.
 *
 * Chromium is installed by scripts/install-toolchains.sh (package `chromium`); a missing browser
 * fails the test with what to install, nothing is skipped.
 */
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.POCKET_CHROMIUM ?? '/usr/bin/chromium';

/** What happened while the page was open, besides what it shows. */
export interface PageEvents {
  /** console.error / console.warn messages, and uncaught page errors. */
  errors: string[];
  /** Every request other than the page's own file (a self-contained page makes none). */
  requests: string[];
}

export interface OpenedPage {
  page: Page;
  events: PageEvents;
}

let browser: Browser | undefined;

/** The shared browser, launched on first use (as the machine's probe does: no network of its own). */
async function launch(): Promise<Browser> {
  if (browser) return browser;
  if (!existsSync(CHROMIUM)) assert.unreachable(`no browser at ${CHROMIUM}: install Debian's chromium with \`sh scripts/install-toolchains.sh\` (or \`apt-get install chromium\`), or set POCKET_CHROMIUM`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  return browser;
}

/** Open `file` (an HTML file on disk) in a new page and wait until it has loaded. */
export async function openPage(file: string, viewport = { width: 1400, height: 1000 }): Promise<OpenedPage> {
  const b = await launch();
  const page = await b.newPage({ viewport });
  const url = pathToFileURL(resolve(file)).href;
  const events: PageEvents = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') events.errors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => events.errors.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) events.requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, events };
}

/** Assert that the page logged no error and asked for nothing over the network. */
export function assertQuiet(events: PageEvents, what: string): void {
  assert.equal(events.errors, [], `${what}: no console or page errors`);
  assert.equal(events.requests, [], `${what}: no requests (the page is self-contained)`);
}

/** Close the shared browser (call from the test file's `test.after`). */
export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = undefined;
}
