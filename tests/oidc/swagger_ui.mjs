// Drives the tutorial's Swagger UI (/docs) in Debian's headless Chromium with playwright-core
// (tests/it/openapi/mod.rs): the lock on protected operations, "Authorize" with a bearer token,
// "Try it out" → "Execute" on GET /api/read — 200 with a token that has the scope, 403 with
// one that lacks it. Screenshots go to SHOT_DIR.
//
// Usage: DOCS_URL=http://127.0.0.1:PORT/docs/ READER=<token> STRANGER=<token> SHOT_DIR=…
//        node swagger_ui.mjs
// Prints one JSON report on stdout.
import process from 'node:process';
import path from 'node:path';

import { chromium } from 'playwright-core';

const { DOCS_URL, READER, STRANGER, SHOT_DIR } = process.env;
const report = { locks: {}, runs: [] };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-quic',
  ],
});

/** A fresh browser context on the docs page; every request off loopback is refused. */
async function open() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
  const page = await context.newPage();
  await page.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  await page.goto(DOCS_URL);
  await page.waitForSelector('#operations-default-read_data');
  return { context, page };
}

/** Authorizes with `token`, runs GET /api/read, returns the status Swagger UI shows. */
async function run(label, token) {
  const { context, page } = await open();
  await page.click('.auth-wrapper button.authorize');
  const box = page.locator('.dialog-ux .auth-container').filter({ hasText: 'bearer' });
  await box.locator('#auth-bearer-value').fill(token);
  await box.locator('button.modal-btn.authorize').click();
  await box.locator('h6:has-text("Authorized")').waitFor();
  await page.click('.dialog-ux button.close-modal');
  const authorized = await page.getAttribute('.auth-wrapper button.authorize', 'class');
  const op = page.locator('#operations-default-read_data');
  await op.locator('.opblock-summary-control').click();
  await op.locator('button.try-out__btn').click();
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor();
  const curl = await op.locator('.curl-command').first().innerText();
  const shot = path.join(SHOT_DIR, `swagger-${label}.png`);
  await page.screenshot({ path: shot, fullPage: false });
  report.runs.push({
    label,
    status: (await status.innerText()).trim(),
    authorize_button: authorized,
    curl_has_token: curl.includes(`Bearer ${token}`),
    screenshot: shot,
  });
  await context.close();
}

try {
  const { context, page } = await open();
  for (const id of ['read_data', 'strict', 'moderate_article', 'public_data_get', 'health', 'index']) {
    const button = page.locator(`#operations-default-${id} .authorization__btn`).first();
    report.locks[id] = (await button.count()) ? await button.getAttribute('aria-label') : null;
  }
  await page.screenshot({ path: path.join(SHOT_DIR, 'swagger-docs.png'), fullPage: false });
  await context.close();
  await run('reader', READER);
  await run('stranger', STRANGER);
} catch (error) {
  report.error = String(error?.stack ?? error);
}
await browser.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
