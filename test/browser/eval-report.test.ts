import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { htmlReport, parseSuite, runSuite, type EvalRecord } from '@signalbox/evals';
import { supervisorService } from '@signalbox/supervisor';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { browserProbe, chromiumPath } from './console-stack.ts';

/** The report's screenshot, for a person to look at (gitignored). */
const screenshots = fileURLToPath(new URL('../../.artifacts/screenshots/', import.meta.url));

/** Written to attack whoever opens the report: it must show as text, and nothing in it may run. */
const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let runtime: TestRuntime;
let browser: Browser;
let folder: string;
let record: EvalRecord;

describe.skipIf(!browserProbe.available)(`the eval's HTML report in Chromium${browserProbe.available ? '' : ` (skipped: ${browserProbe.reason})`}`, () => {
  beforeAll(async () => {
    await mkdir(screenshots, { recursive: true });
    folder = await mkdtemp(join(tmpdir(), 'sbx-eval-report-'));
    runtime = await startTestRuntime({ services: [supervisorService()] });
    record = await runSuite({ client: runtime.client }, parseSuite(readFileSync('deploy/evals/loops.yaml', 'utf8')));
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await runtime?.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  it('opens from a file with nothing fetched and no script run, shows hostile output as text, and plots both figures', async () => {
    // A model answer that attacks the reader, as a failed check quotes it.
    const attacked: EvalRecord = { ...record, runs: record.runs.map((run, index) => (index === 0 ? { ...run, failures: [...run.failures, `its answer was ${hostile}`] } : run)) };
    const file = join(folder, 'report.html');
    await writeFile(file, htmlReport(attacked));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requested: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(file).href);

    expect(requested).toEqual([pathToFileURL(file).href]);
    expect(errors).toEqual([]);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('img, script').count()).toBe(0);
    await expect(page.getByText(hostile, { exact: false }).count()).resolves.toBe(1);

    expect(await page.locator('h1').textContent()).toBe('Eval: loops');
    expect(await page.locator('svg[aria-label="success against cost"] circle').count()).toBe(5);
    // Nine interventions: the gate at the third read of each supervised run (three configurations, three repeats).
    expect(await page.locator('svg[aria-label="intervention timing"] > circle').count()).toBe(9);
    const configurations = await page.locator('h2:text("Configurations") + table tbody td:first-child').allTextContents();
    expect(configurations).toEqual(['persistent-abort', 'persistent-nudge', 'persistent-off', 'stuck-abort', 'stuck-off']);
    await page.screenshot({ path: join(screenshots, 'eval-report.png'), fullPage: false });
    await page.screenshot({ path: join(screenshots, 'eval-report-full.png'), fullPage: true });
    await page.close();
  });
});
