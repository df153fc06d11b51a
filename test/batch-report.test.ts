/**
 * `flow --batch … --report batch.html` through the real binary, with a built-in-only workflow (a
 * `validate` node with a retry, then a `transform` that fails on items without `tags`): the
 * report's numbers match what --out records, --out is the same byte for byte with and without
 * --report, a 10,000-item report stays under 2 MB, --resume reports the items run now, and in a
 * real headless browser the failure groups, their links to the failed rows, the histograms'
 * p50/p90/p99 and the items/s chart are there, with no console error and no request.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, runCli, tempDir } from './helpers.js';
import { assertQuiet, closeBrowser, openPage } from './browser.js';
import { fairShares } from '../tools/report/batch-data.js';
import { histogram, percentile } from '../tools/report/stats.js';

const work = tempDir('pocket-wit-batch-report-');
const ENV = { POCKET_HOME: tempDir('pocket-wit-batch-report-home-'), POCKET_PLUGIN_PATH: '' };
const WORKFLOW = join(work, 'wf.yaml');
writeFileSync(
  WORKFLOW,
  `name: batch-report-test
start: check
nodes:
  - name: check
    type: validate
    config: { schema: { type: object, required: [id] } }
    retry: { max_attempts: 2 }
  - name: shape
    type: transform
    config: { expression: "{id: id, tags: length(tags)}" }
connections:
  - { from: check, to: shape, action: valid }
`,
);

/** `n` inputs: every 5th without `id` (check fails), every 13th without `tags` (shape fails), one line not JSON, one blank. */
function writeBatch(file: string, n: number): void {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 7) lines.push('{not json');
    else if (i % 5 === 3) lines.push(JSON.stringify({ name: `no id ${i}`, note: 'x'.repeat(300) }));
    else if (i % 13 === 5) lines.push(JSON.stringify({ id: i }));
    else lines.push(JSON.stringify({ id: i, tags: ['a', 'b'] }));
    if (i === 20) lines.push('');
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

interface Record {
  line: number;
  ok: boolean;
  path?: string[];
  error?: { code: string; node?: string };
}
const records = (file: string): Record[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record);

/** Failed lines per error code, as --out records them. */
function failedByCode(rs: Record[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of rs) if (!r.ok) m.set(r.error!.code, [...(m.get(r.error!.code) ?? []), r.line]);
  return m;
}

const num = async (page: Page, selector: string): Promise<number> => Number((await page.locator(selector).first().textContent())!.replace(/[,\s]/g, ''));

const small = join(work, 'small.jsonl');
writeBatch(small, 400);
const smallOut = join(work, 'small-out.jsonl');
const smallReport = join(work, 'small.html');

test('the report counts what --out records; --out is the same with and without --report', async () => {
  const r = await runCli(['flow', WORKFLOW, '--batch', small, '--out', smallOut, '--report', smallReport, '--concurrency', '2'], { env: ENV });
  assert.is(r.code, 1, r.stderr); // some lines failed
  assert.match(r.stderr, `report: ${smallReport}\n`);
  const plain = join(work, 'small-plain.jsonl');
  const p = await runCli(['flow', WORKFLOW, '--batch', small, '--out', plain, '--concurrency', '2'], { env: ENV });
  assert.is(p.code, 1, p.stderr);
  assert.not.match(p.stderr, 'report:');
  assert.ok(readFileSync(smallOut).equals(readFileSync(plain)), '--out is byte-identical with and without --report');

  const rs = records(smallOut);
  const byCode = failedByCode(rs);
  assert.ok(byCode.size >= 2, 'the batch fails in more than one way');
  const { page, events } = await openPage(smallReport);
  assert.is(await num(page, '#summary .items dd'), rs.length);
  assert.is(await num(page, '#summary .ok dd'), rs.filter((x) => x.ok).length);
  assert.is(await num(page, '#summary .failed dd'), rs.filter((x) => !x.ok).length);
  // Every item failing in check was retried once (max_attempts 2), and only those.
  const checkFailures = rs.filter((x) => !x.ok && x.error!.node === 'check').length;
  assert.ok(checkFailures > 0);
  assert.is(await num(page, '#retries .exec-retries'), checkFailures);
  assert.is(await num(page, '#retries .instance-retries'), 0);
  assert.is(await num(page, '#summary .retried dd'), checkFailures);
  // The groups: one per code, with its count and a link to each of its failed lines.
  const groups = page.locator('#failures .group');
  assert.is(await groups.count(), byCode.size);
  for (const [code, lines] of byCode) {
    const g = page.locator(`#failures .group[data-code="${code}"]`);
    assert.is(await num(page, `#failures .group[data-code="${code}"] .count`), lines.length, code);
    const hrefs = await g.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.equal(hrefs, lines.map((l) => `#item-${l}`), `${code}: links to its failed lines`);
  }
  // Every failed line has its row, and no other line.
  const rowIds = await page.locator('table.failed-items tr.item').evaluateAll((trs) => trs.map((tr) => tr.id));
  assert.equal(rowIds, rs.filter((x) => !x.ok).map((x) => `item-${x.line}`));
  const notJson = rs.find((x) => !x.ok && x.error!.code === 'invalid-input' && !x.error!.node)!;
  assert.match((await page.locator(`#item-${notJson.line}`).textContent())!, 'not valid JSON');
  // A histogram with p50/p90/p99 for every node the items visited.
  const nodes = [...new Set(rs.flatMap((x) => (x.ok ? x.path! : x.error!.node ? [x.error!.node] : [])))];
  assert.equal(nodes.sort(), ['check', 'shape']);
  for (const node of nodes) {
    const fig = page.locator(`figure.node-hist[data-node="${node}"]`);
    assert.is(await fig.count(), 1, `a histogram for ${node}`);
    for (const p of ['p50', 'p90', 'p99']) assert.match((await fig.locator(`.mark.${p} text`).textContent())!, new RegExp(`^${p} \\d+(\\.\\d+)? m?s$`), `${node} ${p}`);
    assert.ok((await fig.locator('rect.bar').count()) >= 1);
  }
  assert.ok(await page.locator('#rate-chart svg').isVisible(), 'the items/s chart');
  const bars = await page.locator('#rate-chart svg rect.bar').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
  assert.ok(bars.length > 1 && bars.some((h) => h > 0), `items/s bars: ${bars.join(', ')}`);
  assertQuiet(events, 'batch report');
  await page.close();
});

test('a link in a failure group brings its row into view', async () => {
  const { page, events } = await openPage(smallReport, { width: 1200, height: 700 });
  const link = page.locator('#failures .group[data-code="plugin-error"] a').last();
  const href = (await link.getAttribute('href'))!;
  const row = page.locator(href);
  const inView = (): Promise<boolean> => row.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  });
  assert.not.ok(await inView(), 'the row starts out of view');
  await link.click();
  await page.waitForFunction((h) => location.hash === h, href);
  assert.ok(page.url().endsWith(href));
  assert.ok(await inView(), 'the row is in view after the click');
  assert.ok(await row.evaluate((el) => el.matches(':target')), 'the row is the target');
  assert.ok(await row.isVisible());
  assertQuiet(events, 'batch report after a click');
  await page.close();
});

test('a 10,000-item batch report is under 2 MB and counts all of them', async () => {
  const big = join(work, 'big.jsonl');
  writeBatch(big, 10_000);
  const out = join(work, 'big-out.jsonl');
  const report = join(work, 'big.html');
  const r = await runCli(['flow', WORKFLOW, '--batch', big, '--out', out, '--report', report, '--concurrency', '2'], { env: ENV });
  assert.is(r.code, 1, r.stderr);
  const size = statSync(report).size;
  assert.ok(size < 2 * 1024 * 1024, `report is ${size} bytes`);
  const rs = records(out);
  assert.is(rs.length, 10_000);
  const byCode = failedByCode(rs);
  const { page, events } = await openPage(report);
  assert.is(await num(page, '#summary .items dd'), 10_000);
  for (const [code, lines] of byCode) assert.is(await num(page, `#failures .group[data-code="${code}"] .count`), lines.length, code);
  // More failures than rows: the note says so, and every code keeps rows of its own.
  const failed = rs.filter((x) => !x.ok).length;
  const rows = await page.locator('table.failed-items tr.item').count();
  assert.ok(rows < failed && rows > 0);
  assert.match((await page.locator('#capped').textContent())!, `of ${failed.toLocaleString('en-US')} failed items`);
  for (const code of byCode.keys()) assert.ok((await page.locator(`tr.item[data-code="${code}"]`).count()) > 0, `${code} has rows`);
  const link = page.locator('#failures .group[data-code="plugin-error"] a').last();
  const href = (await link.getAttribute('href'))!;
  await link.click();
  await page.waitForFunction((h) => location.hash === h, href);
  assert.ok(await page.locator(href).evaluate((el) => el.matches(':target') && el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().bottom <= window.innerHeight));
  assertQuiet(events, '10,000-item batch report');
  await page.close();
});

test('with --resume the report covers the items run now and says how many were recorded', async () => {
  const out = join(work, 'resume-out.jsonl');
  const all = readFileSync(smallOut, 'utf8').split('\n');
  const recorded = 150;
  writeFileSync(out, `${all.slice(0, recorded).join('\n')}\n`);
  const report = join(work, 'resume.html');
  const r = await runCli(['flow', WORKFLOW, '--batch', small, '--out', out, '--report', report, '--resume'], { env: ENV });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, `report: ${report}`);
  assert.ok(readFileSync(out).equals(readFileSync(smallOut)), 'the resumed --out is the uninterrupted one');
  const rs = records(smallOut).slice(recorded);
  const { page, events } = await openPage(report);
  assert.is(await num(page, '#summary .items dd'), rs.length);
  assert.is(await num(page, '#resumed strong'), recorded);
  const byCode = failedByCode(rs);
  for (const [code, lines] of byCode) assert.is(await num(page, `#failures .group[data-code="${code}"] .count`), lines.length, code);
  assertQuiet(events, 'resumed batch report');
  await page.close();
});

test('phase calls retried on a fresh instance are counted (endurance-c: a crash node that traps every time)', async () => {
  const wf = join(work, 'crash.yaml');
  writeFileSync(
    wf,
    `name: crash-some
start: pick
nodes:
  - name: pick
    type: conditional
    config: { conditions: [{ if: "crash", action: crash }] }
  - name: boom
    type: crash
connections:
  - { from: pick, to: boom, action: crash }
`,
  );
  const batch = join(work, 'crash.jsonl');
  writeFileSync(batch, `${Array.from({ length: 12 }, (_, i) => JSON.stringify({ i, crash: i % 4 === 1 })).join('\n')}\n`);
  const out = join(work, 'crash-out.jsonl');
  const report = join(work, 'crash.html');
  const r = await runCli(['flow', wf, '--plugins', join(ROOT, 'test/fixtures/endurance-c'), '--batch', batch, '--out', out, '--report', report], { env: ENV });
  assert.is(r.code, 1, r.stderr);
  const rs = records(out) as (Record & { retried?: number })[];
  const retried = rs.reduce((n, x) => n + (x.retried ?? 0), 0);
  assert.is(retried, 3, 'each crashing item had its exec call retried once on a fresh instance');
  const { page, events } = await openPage(report);
  assert.is(await num(page, '#retries .instance-retries'), retried);
  assert.is(await num(page, '#retries .exec-retries'), 0);
  assert.is(await num(page, '#summary .retried dd'), rs.filter((x) => x.retried).length);
  assert.is(await num(page, '#failures .group[data-code="trap"] .count'), failedByCode(rs).get('trap')!.length);
  assert.is(await num(page, 'table.nodes tr[data-node="boom"] td:last-child'), retried);
  assertQuiet(events, 'batch report with instance retries');
  await page.close();
});

test('percentiles, histograms and the fair share of failed rows', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal([50, 90, 99, 100].map((p) => percentile(hundred, p)), [50, 90, 99, 100]);
  assert.is(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  const spread = [0.1, 0.2, 0.5, 1, 2, 5, 10, 50, 100, 400];
  for (const log of [false, true]) {
    const bins = histogram(spread, 8, log);
    assert.is(bins.length, 8);
    assert.is(bins.reduce((n, b) => n + b.count, 0), spread.length, 'every value in one bar');
    assert.is(bins[0]!.from, 0.1);
    assert.is(bins.at(-1)!.to, 400);
    for (let i = 1; i < bins.length; i++) assert.is(bins[i]!.from, bins[i - 1]!.to);
  }
  assert.ok(Math.max(...histogram(spread, 8, true).map((b) => b.count)) <= 2, 'bars of equal ratios spread the small values out');
  assert.is(histogram(spread, 8, false)[0]!.count, 8, 'equal widths crowd them into the first bar');
  assert.equal(histogram([3, 3, 3], 10), [{ from: 3, to: 3, count: 3 }]);
  assert.equal(fairShares([5, 2000, 10], 1000), [5, 985, 10]);
  assert.equal(fairShares([600, 700], 1000), [500, 500]);
  assert.equal(fairShares([0, 3], 1000), [0, 3]);
});

test('--report may not be the --out or --batch file', async () => {
  for (const clash of ['out', 'batch'] as const) {
    const out = join(work, `clash-${clash}.jsonl`);
    const r = await runCli(['flow', WORKFLOW, '--batch', small, '--out', out, '--report', clash === 'out' ? out : small], { env: ENV });
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, 'error[usage]: --report needs a file of its own');
    assert.not.ok(existsSync(out), 'nothing was run or written');
  }
});

test.after(async () => {
  await closeBrowser();
});

test.run();
