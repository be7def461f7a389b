/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core): a
 * user opens the overview, clicks through to a service and to an incident, and sees the leaking
 * function, the charts, and no console errors. Skips loudly without /usr/bin/chromium, unless
 * LEAKWATCH_REQUIRE_CHROMIUM=1 (set by .ci/run), which turns a missing Chromium into a failure.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BLOCKING_FN, EVIL_SERVICE, LEAKING_FN, startWebFixture, type WebFixture } from './web-fixture.js';

const CHROMIUM = '/usr/bin/chromium';

function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.LEAKWATCH_REQUIRE_CHROMIUM === '1') {
    throw new Error(`LEAKWATCH_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing: apt-get install -y chromium`);
  }
  console.warn(`\n*** SKIPPING the headless Chromium dashboard test: ${CHROMIUM} is missing (apt-get install -y chromium) ***\n`);
  return false;
}

describe.skipIf(!chromiumAvailable())('dashboard in headless Chromium', () => {
  let fx: WebFixture;
  let browser: Browser;
  beforeAll(async () => {
    fx = await startWebFixture();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      timeout: 60_000,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await fx?.close();
  });

  /** Everything that would mean the page is broken for a user: console errors, script errors, failed loads, dialogs. */
  function watch(page: Page): string[] {
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    page.on('dialog', (d) => {
      problems.push(`dialog opened (injected script ran?): ${d.message()}`);
      void d.dismiss();
    });
    return problems;
  }

  it('overview → service → incident shows the leak, the charts and the next step', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fx.url });
    const page = await context.newPage();
    const problems = watch(page);

    await page.goto(`${fx.url}/`);
    await expect.poll(() => page.title()).toBe('Services · leakwatch');
    const row = page.locator('tr[data-service="checkout"]');
    expect(await row.locator('.state').innerText()).toBe('leaking');
    expect(await page.locator('tr[data-service="idle"] .state').innerText()).toBe('warming');
    // The hostile service name is shown as text in the recent incidents, never run.
    expect(await page.getByText(EVIL_SERVICE, { exact: true }).count()).toBeGreaterThan(0);

    await row.getByRole('link', { name: 'checkout', exact: true }).click();
    await page.waitForURL(`${fx.url}/services/checkout`);
    expect(await page.locator('h1').innerText()).toContain('checkout');
    const charts = page.locator('figure.chart svg[role="img"]');
    expect(await charts.count()).toBe(3);
    const floor = page.locator('path.series[data-series="heap floor (trended)"]');
    const box = await floor.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);
    expect(await page.getByText('outside the Go runtime', { exact: false }).count()).toBeGreaterThan(0);

    await page.getByRole('link', { name: `#${fx.heapIncidentId}`, exact: true }).first().click();
    await page.waitForURL(`${fx.url}/incidents/${fx.heapIncidentId}`);
    expect(await page.locator('h1').innerText()).toMatch(/checkout: heap growing \+16 MB\/h/);
    const growth = page.locator('table.growth tbody tr').first();
    expect(await growth.locator('td').first().innerText()).toBe(LEAKING_FN);
    expect(await growth.locator('td').nth(1).innerText()).toBe('+9.5 MB');
    expect(await page.locator('code.blocking').innerText()).toBe(BLOCKING_FN);
    expect(await page.locator('figure.chart svg path.series').count()).toBeGreaterThan(0);
    const command = await page.locator('#next-step').innerText();
    expect(command).toBe('leakwatch diff checkout -o diff.pb.gz && go tool pprof -top diff.pb.gz');

    // The one inline script runs under the page's Content-Security-Policy: the copy button works.
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.locator('button[data-copy]').innerText()).toBe('Copied');
    // A string: it runs in the page, where `navigator` exists (the tests' tsconfig has no DOM types).
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(command);

    expect(problems).toEqual([]);
    await context.close();
  });

  it('a hostile service name and function name render as text and run nothing', async () => {
    const page = await browser.newPage();
    const problems = watch(page);
    await page.goto(`${fx.url}/incidents/${fx.evilIncidentId}`);
    expect(await page.locator('h1 a').innerText()).toBe(EVIL_SERVICE);
    expect(await page.locator('table.growth td.fn').first().innerText()).toBe('main.<img src=x onerror=alert(2)>');
    expect(await page.locator('main img').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
