/**
 * `flow … --report run.html` (and the trace detail it draws) through the real binary, with the
 * kitchen-sink fixture plugin and built-ins (test/fixtures/run-report): a clock sets a deadline
 * 300 ms ahead, `flaky` fails until then and is retried every 40 ms, a nested flow's `greet`
 * reads and writes the store and logs, and its action picks one of two branches. The trace has
 * every exec attempt numbered, the waits between them, the plugin's store and log calls (keys
 * and levels, no values); in a real headless browser the report shows the timeline rows in start
 * order, the path taken highlighted and the other branch not, the store before and after with
 * the changed keys marked, and a failed run's error with its node and phase; no console error,
 * no request. A call whose instance died (endurance-c's `crash`) shows as two spans of the same
 * attempt. `--report` with `--check` is a usage error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { TraceStep } from '../host/src/index.js';
import { ROOT, runCli, tempDir } from './helpers.js';
import { assertQuiet, closeBrowser, openPage } from './browser.js';
import { MAX_DRAWN_CALLS, MAX_ROWS, timelineHtml } from '../tools/report/run-timeline.js';

const work = tempDir('pocket-wit-run-report-');
const ENV = { POCKET_HOME: tempDir('pocket-wit-run-report-home-'), POCKET_PLUGIN_PATH: '' };
const FIXTURES = join(ROOT, 'test/fixtures/run-report');
const PLUGIN = ['--plugins', join(ROOT, 'test/fixtures/kitchen-sink')];

const demoTrace = join(work, 'demo-trace.json');
const demoReport = join(work, 'demo.html');
let demo: TraceStep[] = [];

/** The nodes of the demo, in the order their visits start (a flow node before the nodes inside it). */
const DEMO_ORDER = ['clock', 'deadline', 'wait-for-it', 'greeting', 'greeting/who', 'greeting/hello', 'greeting/judge', 'polite'];

test.after(async () => {
  await closeBrowser();
});

test('flow --trace --report: the run succeeds and both files are written', async () => {
  const r = await runCli(['flow', join(FIXTURES, 'demo.yaml'), ...PLUGIN, '--store', '{"count":41,"keep":"me"}', '--json', '--trace', demoTrace, '--report', demoReport], { env: ENV });
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { output: unknown; store: Record<string, unknown>; path: string[]; action: string };
  assert.equal(out.path, ['clock', 'deadline', 'wait-for-it', 'greeting', 'polite']);
  assert.equal(out.store, { count: 42, keep: 'me', 'greeted:Ada': { message: 'Hello, Ada!' } });
  assert.ok(r.stderr.includes(`report: ${demoReport}\n`), r.stderr);
  demo = JSON.parse(readFileSync(demoTrace, 'utf8')) as TraceStep[];
  // The trace lists visits as they end; by start they are the demo's order.
  assert.equal([...demo].sort((a, b) => a.offsetMs - b.offsetMs).map((s) => s.node), DEMO_ORDER);
  for (const step of demo) {
    assert.ok(step.offsetMs >= 0 && step.durationMs > 0, `${step.node}: times`);
    let end = step.offsetMs;
    for (const span of step.spans) {
      assert.ok(span.startMs >= end - 0.01, `${step.node}: spans in order, none overlapping (${span.phase} at ${span.startMs}, previous ended ${end})`);
      end = span.startMs + span.durationMs;
    }
    assert.ok(end <= step.offsetMs + step.durationMs + 0.01, `${step.node}: spans inside the visit`);
  }
});

test('trace: every exec attempt of the retried node, numbered, the failed ones with their code, and the waits between', () => {
  const step = demo.find((s) => s.node === 'wait-for-it')!;
  assert.ok(step.retries >= 1, `flaky failed at least once before the deadline 300 ms ahead (retries: ${step.retries})`);
  const phases = step.spans.map((s) => s.phase);
  const attempts = step.retries + 1;
  const expected = ['prep', ...Array.from({ length: attempts }, (_, i) => (i < attempts - 1 ? ['exec', 'wait'] : ['exec'])).flat(), 'post'];
  assert.equal(phases, expected);
  const execs = step.spans.filter((s) => s.phase === 'exec');
  assert.equal(
    execs.map((s) => [s.attempt, s.failed ?? false, s.code ?? null]),
    execs.map((_, i) => (i < attempts - 1 ? [i + 1, true, 'plugin-error'] : [i + 1, false, null])),
  );
  const waits = step.spans.filter((s) => s.phase === 'wait');
  assert.equal(
    waits.map((w) => w.attempt),
    waits.map((_, i) => i + 1),
  );
  for (const w of waits) assert.ok(w.durationMs >= 39 && !w.failed, `a wait lasts the retry delay of 40 ms (${w.durationMs})`);
  assert.is(step.calls, undefined, 'flaky makes no store or log call');
});

test('trace: the store and log calls of the plugin, with keys and levels, never values', () => {
  const hello = demo.find((s) => s.node === 'greeting/hello')!;
  assert.equal(
    hello.calls!.map((c) => [c.phase, c.call, c.key ?? c.level]),
    [
      ['prep', 'log', 'info'],
      ['prep', 'store-get', 'count'],
      ['exec', 'log', 'debug'],
      ['post', 'store-set', 'count'],
      ['post', 'store-set', 'greeted:Ada'],
      ['post', 'log', 'warn'],
    ],
  );
  const [prep, exec, post] = hello.spans;
  for (const c of hello.calls!) {
    const span = { prep, exec, post }[c.phase as 'prep' | 'exec' | 'post']!;
    // A worker's writes and logs reach the host with its result, so at the latest as its call ends.
    assert.ok(c.atMs >= span.startMs - 0.01 && c.atMs <= span.startMs + span.durationMs + 0.01, `${c.call} ${c.key ?? c.level} during ${c.phase}`);
  }
  assert.not.ok(JSON.stringify(hello.calls).includes('Hello'), 'no value and no message in the calls');
  for (const s of demo.filter((x) => !x.plugin)) assert.is(s.calls, undefined, `${s.node} (built-in) makes no host call`);
});

async function rowNodes(page: Page): Promise<string[]> {
  return page.locator('#timeline .row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step-node') ?? ''));
}

test('report: timeline rows in start order and visible, the path taken highlighted, the store before and after', async () => {
  const { page, events } = await openPage(demoReport);
  assert.equal(await rowNodes(page), DEMO_ORDER);
  for (const node of DEMO_ORDER) {
    const row = page.locator(`#timeline .row[data-step-node="${node}"]`);
    assert.ok(await row.isVisible(), `${node}: row visible`);
    const box = await row.locator('.track').boundingBox();
    assert.ok(box && box.width > 200 && box.height > 10, `${node}: its track has room`);
    assert.ok((await row.locator('.bar').count()) >= 3, `${node}: prep, exec and post bars`);
  }
  // Rows go down the page in order.
  const tops = await page.locator('#timeline .row').evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().top));
  assert.equal([...tops].sort((a, b) => a - b), tops);

  const retried = demo.find((s) => s.node === 'wait-for-it')!.retries;
  const flaky = page.locator('#timeline .row[data-step-node="wait-for-it"]');
  assert.is(await flaky.locator('.bar.exec').count(), retried + 1);
  assert.is(await flaky.locator('.bar.exec.failed').count(), retried);
  assert.is(await flaky.locator('.bar.wait').count(), retried);
  assert.match((await flaky.locator('.bar.exec.failed').first().getAttribute('title'))!, /^exec attempt 1 · failed \(plugin-error\)/);
  // Bars are drawn where they happened: the last attempt right of the first.
  const first = (await flaky.locator('.bar.exec').first().boundingBox())!;
  const last = (await flaky.locator('.bar.exec').last().boundingBox())!;
  assert.ok(last.x > first.x + first.width, 'attempts laid out in time');

  // The store and log calls: ticks with their key on hover, and the list in the row.
  const hello = page.locator('#timeline .row[data-step-node="greeting/hello"]');
  assert.is(await hello.locator('.tick').count(), 6);
  assert.match((await hello.locator('.tick.store-set').first().getAttribute('title'))!, /^store-set "count" \(post\) at /);
  await hello.locator('summary').click();
  const list = await hello.locator('details li').allTextContents();
  assert.ok(list.some((t) => /^store-get "count" \(prep\) at /.test(t)), list.join('\n'));
  assert.ok(list.some((t) => /^log warn \(post\) at /.test(t)), list.join('\n'));
  assert.ok(await hello.locator('details li').first().isVisible());

  // The path taken: every visited node (nested ones as flowNode/child) and the connections followed.
  const taken = await page.locator('#graph g.node.taken').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-node')));
  assert.equal([...taken].sort(), [...DEMO_ORDER].sort());
  assert.is(await page.locator('#graph g.node[data-node="rude"]').getAttribute('class').then((c) => c!.split(' ').includes('taken')), false, 'the branch not taken is not highlighted');
  assert.ok(await page.locator('#graph g.node[data-node="rude"]').isVisible());
  const edgeTaken = (edge: string): Promise<boolean> => page.locator(`#graph g.edge[data-edge="${edge}"]`).getAttribute('class').then((c) => c!.split(' ').includes('taken'));
  assert.ok(await edgeTaken('greeting->polite'));
  assert.ok(await edgeTaken('greeting/hello->greeting/judge'));
  assert.not.ok(await edgeTaken('greeting->rude'));

  // The store before and after, the changed keys marked on both sides.
  const before = (await page.locator('#store pre[data-side="before"]').textContent())!;
  const after = (await page.locator('#store pre[data-side="after"]').textContent())!;
  assert.ok(before.includes('"count": 41') && !before.includes('greeted:Ada'), before);
  assert.ok(after.includes('"count": 42') && after.includes('"greeted:Ada"') && after.includes('"keep": "me"'), after);
  assert.equal(await page.locator('#store pre[data-side="after"] [data-change]').evaluateAll((es) => es.map((e) => [e.getAttribute('data-key'), e.getAttribute('data-change')])), [
    ['count', 'changed'],
    ['greeted:Ada', 'added'],
  ]);
  assert.ok(await page.locator('#store pre[data-side="before"] [data-key="count"][data-change="changed"]').isVisible());
  assert.is(await page.locator('#error').count(), 0, 'no error section for a run that succeeded');
  assertQuiet(events, 'run report');
});

test('a failed run still writes its report (without --trace): the error with its node and phase, the node after it not reached', async () => {
  const report = join(work, 'fails.html');
  const r = await runCli(['flow', join(FIXTURES, 'fails.yaml'), ...PLUGIN, '--input', '{"name":"Ada"}', '--report', report], { env: ENV });
  assert.is(r.code, 1, r.stderr);
  assert.ok(r.stderr.includes(`report: ${report}\n`), r.stderr);
  assert.ok(r.stderr.includes('error[permission-denied]: node "boom" (fail, plugin kitchen-sink) failed in post: no network for you'), r.stderr);
  const { page, events } = await openPage(report);
  const error = page.locator('#error');
  assert.ok(await error.isVisible());
  assert.is(await error.locator('.error-node').textContent(), 'boom');
  assert.is(await error.locator('.error-phase').textContent(), 'post');
  assert.is(await error.locator('.error-code').textContent(), 'permission-denied');
  assert.is(await error.locator('.error-plugin').textContent(), 'kitchen-sink');
  assert.match((await error.locator('.error-message').textContent())!, /failed in post: no network for you$/);
  assert.equal(await rowNodes(page), ['hello', 'shape', 'boom']);
  const boom = page.locator('#timeline .row[data-step-node="boom"]');
  assert.ok((await boom.getAttribute('class'))!.split(' ').includes('failed'));
  assert.equal(await boom.locator('.bar').evaluateAll((bs) => bs.map((b) => [b.getAttribute('data-phase'), b.classList.contains('failed')])), [
    ['prep', false],
    ['exec', false],
    ['post', true],
  ]);
  const classOf = (node: string): Promise<string[]> => page.locator(`#graph g.node[data-node="${node}"]`).getAttribute('class').then((c) => c!.split(' '));
  assert.ok((await classOf('boom')).includes('taken'));
  assert.not.ok((await classOf('never')).includes('taken'));
  // The failing node is outlined in red on the graph.
  const stroke = await page.locator('#graph g.node[data-node="boom"] > rect.box').evaluate((el) => getComputedStyle(el).stroke);
  assert.is(stroke, 'rgb(220, 38, 38)');
  const after = (await page.locator('#store pre[data-side="after"]').textContent())!;
  assert.ok(after.includes('"count": 1'), 'the store at the failure: greet wrote it before boom failed');
  assertQuiet(events, 'failed run report');
});

test('a call whose instance died: two spans of the same attempt, the first marked, both in the report', async () => {
  // endurance-c's crash traps every time: retried once on a fresh instance, then the run fails.
  const wf = join(work, 'crash.yaml');
  writeFileSync(wf, 'name: crash\nstart: boom\nnodes:\n  - name: boom\n    type: crash\n');
  const trace = join(work, 'crash-trace.json');
  const report = join(work, 'crash.html');
  const r = await runCli(['flow', wf, '--plugins', join(ROOT, 'test/fixtures/endurance-c'), '--input', '{}', '--trace', trace, '--report', report], { env: ENV });
  assert.is(r.code, 1, r.stderr);
  const [step] = JSON.parse(readFileSync(trace, 'utf8')) as TraceStep[];
  assert.equal(
    step!.spans.map((s) => [s.phase, s.attempt ?? null, s.code ?? null, s.instanceDied ?? false]),
    [
      ['prep', null, null, false],
      ['exec', 1, 'trap', true],
      ['exec', 1, 'trap', false],
    ],
  );
  assert.equal(step!.instanceRetries!.map((x) => [x.phase, x.code]), [['exec', 'trap']]);
  const { page, events } = await openPage(report);
  const titles = await page.locator('#timeline .row[data-step-node="boom"] .bar.exec.failed').evaluateAll((bs) => bs.map((b) => b.getAttribute('title')));
  assert.is(titles.length, 2);
  assert.match(titles[0]!, /^exec attempt 1 · instance died \(trap\), called again on a fresh instance · /);
  assert.match(titles[1]!, /^exec attempt 1 · failed \(trap\) · /);
  assert.is(await page.locator('#error .error-phase').textContent(), 'exec');
  assert.is(await page.locator('#error .error-code').textContent(), 'trap');
  assertQuiet(events, 'crash report');
});

test('the timeline stays bounded: at most MAX_ROWS rows and MAX_DRAWN_CALLS calls, the rest counted', () => {
  // A run of 2,500 visits of a plugin node making 10 store calls each (a long cycle).
  const step = (i: number): TraceStep => ({
    step: i + 1,
    node: 'again',
    type: 'store',
    plugin: 'kitchen-sink',
    action: 'default',
    startedAt: '2026-01-01T00:00:00.000Z',
    offsetMs: i,
    durationMs: 0.9,
    phases: { prep: 0.3, exec: 0.3, post: 0.3 },
    retries: 0,
    inputBytes: 2,
    spans: (['prep', 'exec', 'post'] as const).map((phase, k) => ({ phase, startMs: i + k * 0.3, durationMs: 0.3, ...(phase === 'exec' ? { attempt: 1 } : {}) })),
    calls: Array.from({ length: 10 }, (_, k) => ({ atMs: i + 0.01 * k, phase: 'prep' as const, call: 'store-get' as const, key: `k${k}` })),
  });
  const html = timelineHtml(Array.from({ length: 2500 }, (_, i) => step(i)));
  assert.is(html.match(/<li class="row/g)!.length, MAX_ROWS);
  assert.is(html.match(/<span class="tick /g)!.length, MAX_DRAWN_CALLS);
  assert.ok(html.includes(`<p class="more">${2500 - MAX_ROWS} more node visits are not drawn; the trace (--trace) has them all.</p>`));
  assert.ok(html.includes('10 more host calls, in the trace but not drawn here'));
  assert.ok(html.length < 6_000_000, `${html.length} characters`);
});

test('--report with --check, or on the --trace file, is a usage error, and writes nothing', async () => {
  const report = join(work, 'check.html');
  const r = await runCli(['flow', join(FIXTURES, 'demo.yaml'), ...PLUGIN, '--check', '--report', report], { env: ENV });
  assert.is(r.code, 2);
  assert.ok(r.stderr.startsWith('error[usage]: --report goes with a run; --check only checks the workflow\n'), r.stderr);
  assert.not.ok(existsSync(report));
  const same = await runCli(['flow', join(FIXTURES, 'demo.yaml'), ...PLUGIN, '--trace', report, '--report', report], { env: ENV });
  assert.is(same.code, 2);
  assert.ok(same.stderr.startsWith('error[usage]: --report needs a file of its own: it would overwrite the --trace file\n'), same.stderr);
  assert.not.ok(existsSync(report));
});

test.run();
