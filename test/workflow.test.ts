/**
 * Workflows with real plugin components (the sentiment example and the kitchen-sink fixture,
 * built with QuickJS) and the built-ins: routing, the shared store, retries, timeouts, the step
 * limit, nested flows, every built-in, every validation error, and failures that keep the trace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  builtinNodeTypes,
  Flow,
  loadPlugin,
  NodeRegistry,
  parseWorkflow,
  PluginError,
  silentLogSink,
  WorkflowInvalidError,
  WorkflowRunError,
  type Plugin,
  type RunOptions,
} from '../host/src/index.js';
import { built, CACHE_DIR, tempDir } from './helpers.js';

const dir = tempDir('pocket-wit-flows-');
let sentiment: Plugin;
let sink: Plugin;
let registry: NodeRegistry;

function write(name: string, yaml: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, yaml);
  return path;
}

function flow(yaml: string, name = `wf-${Math.random().toString(36).slice(2)}.yaml`): Flow {
  return Flow.load(write(name, yaml), registry);
}

async function runError(f: Flow, options: RunOptions = {}): Promise<WorkflowRunError> {
  try {
    await f.run(options);
  } catch (err) {
    assert.instance(err, WorkflowRunError, String(err));
    return err as WorkflowRunError;
  }
  assert.unreachable('expected the run to fail');
  throw new Error();
}

function invalid(yaml: string, reg: NodeRegistry = registry): string[] {
  const file = write(`bad-${Math.random().toString(36).slice(2)}.yaml`, yaml);
  try {
    Flow.load(file, reg);
  } catch (err) {
    assert.instance(err, WorkflowInvalidError, String(err));
    assert.is((err as PluginError).code, 'invalid-workflow');
    return (err as WorkflowInvalidError).problems.filter((p) => p.severity === 'error').map((p) => `${p.line ?? '?'}:${p.column ?? '?'} ${p.message}`);
  }
  assert.unreachable('expected the workflow to be rejected');
  return [];
}

test.before(async () => {
  sentiment = await loadPlugin(await built('examples/sentiment-analyzer'), { cacheDir: CACHE_DIR, log: silentLogSink });
  sink = await loadPlugin(await built('test/fixtures/kitchen-sink'), { cacheDir: CACHE_DIR, log: silentLogSink });
  registry = new NodeRegistry(builtinNodeTypes());
  registry.addPlugin(sentiment);
  registry.addPlugin(sink);
});

const ROUTES = `
name: routes
start: analyze
nodes:
  - { name: analyze, type: sentiment }
  - { name: on-high-positive, type: echo }
  - { name: on-high-negative, type: echo }
  - { name: on-neutral, type: echo }
  - { name: on-done, type: echo }
connections:
  - { from: analyze, to: on-high-positive, action: high-positive }
  - { from: analyze, to: on-high-negative, action: high-negative }
  - { from: analyze, to: on-neutral, action: neutral }
  - { from: analyze, to: on-done, action: done }
`;

test('routing follows every action of the sentiment plugin; output flows into the next node', async () => {
  const f = flow(ROUTES);
  const cases: [string, string][] = [
    ['This is amazing and wonderful!', 'on-high-positive'],
    ['Terrible and awful', 'on-high-negative'],
    ['a plain sentence', 'on-neutral'],
    [`nice ${'x '.repeat(30)}`, 'on-done'],
  ];
  for (const [text, last] of cases) {
    const r = await f.run({ input: { text } });
    assert.equal(r.path, ['analyze', last], text);
    assert.is(r.action, 'default');
    assert.is((r.output as { sentiment: string }).sentiment, r.trace[0]!.action!.includes('positive') ? 'positive' : r.trace[0]!.action!.includes('negative') ? 'negative' : (r.output as { sentiment: string }).sentiment);
    assert.is(r.trace[0]!.action, last.replace('on-', ''));
  }
});

test('a run ends when the action has no successor, with that action', async () => {
  const f = flow(`
name: ends
start: a
nodes: [{ name: a, type: sentiment }]
`);
  const r = await f.run({ input: { text: 'I love it' } });
  assert.equal(r.path, ['a']);
  assert.is(r.action, 'high-positive');
});

test('the store is shared by the run: a plugin\'s writes are visible to later nodes, plugin and built-in', async () => {
  const f = flow(`
name: store
start: greet
nodes:
  - { name: greet, type: greet, config: { greeting: Hi } }
  - { name: ask, type: transform, config: { expression: "{get: 'greeted:Ada'}" } }
  - { name: read, type: store }
  - { name: render, type: template, config: { template: "count={{store.count}} msg={{got.message}}" } }
connections:
  - { from: greet, to: ask, action: greeted }
  - { from: ask, to: read }
  - { from: read, to: render }
`);
  const store = new Map<string, unknown>([['count', 2]]);
  const r = await f.run({ input: { name: 'Ada' }, store });
  assert.equal(r.path, ['greet', 'ask', 'read', 'render']);
  assert.is(r.output, 'count=3 msg=Hi, Ada!');
  assert.equal(r.store, { count: 3, 'greeted:Ada': { message: 'Hi, Ada!' } });
  assert.is(store.get('count'), 3);
});

test('the read node got the greet node\'s output as input (get comes from the input)', async () => {
  const f = flow(`
name: chain
start: shape
nodes:
  - { name: shape, type: transform, config: { expression: "{get: key}" } }
  - { name: read, type: store }
connections: [{ from: shape, to: read }]
`);
  const r = await f.run({ input: { key: 'k' }, store: new Map([['k', [1, 2]]]) });
  assert.equal(r.output, { got: [1, 2], deleted: null });
});

test('exec is retried with delay and multiplier; retries are counted in the trace', async () => {
  const f = flow(`
name: retry
start: flaky
nodes:
  - name: flaky
    type: flaky
    retry: { max_attempts: 4, delay: 5ms, multiplier: 2, max_delay: 8ms }
`);
  let t = 0;
  const started = performance.now();
  const r = await f.run({ input: { until: 3 }, now: () => ++t });
  const elapsed = performance.now() - started;
  assert.equal(r.output, { succeededAt: 3 });
  assert.is(r.trace[0]!.retries, 2);
  assert.ok(elapsed >= 5 + 8 - 1, `waited ${elapsed} ms (5 ms, then 10 ms capped at 8 ms)`);
  t = 0;
  const err = await runError(f, { input: { until: 100 }, now: () => ++t });
  assert.is(err.code, 'plugin-error');
  assert.is(err.phase, 'exec');
  assert.is(err.trace[0]!.retries, 3);
  assert.match(err.message, /node "flaky" \(flaky, plugin kitchen-sink\) failed in exec: not yet: 4 < 100/);
});

test('a node timeout stops the node with error[timeout]', async () => {
  const f = flow(`
name: slow
start: wait
nodes:
  - { name: wait, type: delay, config: { duration: 2s }, timeout: 50ms }
`);
  const started = performance.now();
  const err = await runError(f, { input: 1 });
  assert.is(err.code, 'timeout');
  assert.ok(performance.now() - started < 1000, 'stopped at the timeout, not after the delay');
  assert.match(err.message, /node "wait" \(delay, built-in\) failed in exec: node "wait" took longer than its timeout of 50ms/);
});

test('a node timeout stops a plugin call that never yields; the plugin serves the next run', async () => {
  const f = flow(`
name: busy
start: spin
nodes:
  - { name: spin, type: spin, timeout: 50ms }
  - { name: after, type: echo }
connections: [{ from: spin, to: after }]
`);
  const err = await runError(f, { input: { ms: 200 } });
  assert.is(err.code, 'timeout');
  assert.is(err.node, 'spin');
  assert.equal(err.path, ['spin']);
  // The call was stopped (its worker terminated); a fresh instance, started at once, serves on.
  await sink.exec('spin', { ms: 1 });
  assert.equal((await f.run({ input: { ms: 1 } })).path, ['spin', 'after']);
});

test('a parallel node\'s timeout stops its children too', async () => {
  const f = flow(`
name: par-timeout
start: both
nodes:
  - name: both
    type: parallel
    timeout: 50ms
    config:
      nodes:
        - { name: slow, type: delay, config: { duration: 3s } }
        - { name: slower, type: delay, config: { duration: 4s } }
`);
  const started = performance.now();
  const err = await runError(f, { input: 1 });
  assert.is(err.code, 'timeout');
  assert.ok(performance.now() - started < 1000, 'children stopped with their parent');
  await new Promise((r) => setTimeout(r, 50));
});

test('a failure inside a nested flow keeps the whole path', async () => {
  write('nested2/inner.yaml', 'name: inner\nstart: check\nnodes: [{ name: check, type: validate, config: { schema: { type: object, required: [text] } } }]\n');
  const f = Flow.load(write('nested2/outer.yaml', 'name: outer\nstart: first\nnodes:\n  - { name: first, type: echo }\n  - { name: classify, type: flow, config: { path: inner.yaml } }\nconnections: [{ from: first, to: classify }]\n'), registry);
  const err = await runError(f, { input: {} });
  assert.is(err.code, 'invalid-input');
  assert.is(err.node, 'classify/check');
  assert.equal(err.path, ['first', 'classify', 'classify/check']);
});

test('a cycle is stopped by the step limit, with the path', async () => {
  const f = flow(`
name: loop
start: a
nodes:
  - { name: a, type: echo }
  - { name: b, type: echo }
connections:
  - { from: a, to: b }
  - { from: b, to: a }
`);
  const err = await runError(f, { input: 0, stepLimit: 25 });
  assert.is(err.code, 'step-limit');
  assert.is(err.path.length, 25);
  assert.match(err.message, /the run took 25 steps without ending \(last: .*a → b\)/);
});

test('a nested flow runs with the same store; its final action routes the parent', async () => {
  write('nested/inner.yaml', `
name: inner
start: analyze
nodes:
  - { name: analyze, type: sentiment }
`);
  const f = Flow.load(
    write(
      'nested/outer.yaml',
      `
name: outer
start: pick
nodes:
  - { name: pick, type: transform, config: { expression: "{text: review}" } }
  - { name: sub, type: flow, config: { path: inner.yaml } }
  - { name: happy, type: echo }
connections:
  - { from: pick, to: sub }
  - { from: sub, to: happy, action: high-positive }
`,
    ),
    registry,
  );
  const r = await f.run({ input: { review: 'great product' }, now: () => Date.UTC(2024, 0, 1) });
  assert.equal(r.path, ['pick', 'sub', 'happy']);
  assert.equal(r.trace.map((s) => s.node), ['pick', 'sub/analyze', 'sub', 'happy']);
  assert.equal(Object.keys(r.store), ['sentiment:2024-01-01T00:00:00.000Z']);
});

test('built-ins: echo, router, conditional, transform, template, validate, aggregate, parallel', async () => {
  const f = flow(`
name: builtins
start: route
nodes:
  - { name: route, type: router, config: { field: kind, routes: { order: order, refund: refund } } }
  - { name: order, type: conditional, config: { conditions: [ { if: "total > \`100\`", action: big }, { if: "total > \`0\`", action: small } ], default: empty } }
  - { name: refund, type: echo, config: { action: refunded } }
  - name: big
    type: parallel
    config:
      nodes:
        - { name: mood, type: sentiment }
        - { name: shape, type: transform, config: { expression: "{n: length(items)}" } }
  - { name: small, type: template, config: { template: "{{kind}} of {{total}}", into: note } }
  - { name: empty, type: aggregate, config: { items: items, value: price } }
  - { name: check, type: validate, config: { schema: { type: object, required: [note] }, on_invalid: route } }
connections:
  - { from: route, to: order, action: order }
  - { from: route, to: refund, action: refund }
  - { from: order, to: big, action: big }
  - { from: order, to: small, action: small }
  - { from: order, to: empty, action: empty }
  - { from: small, to: check }
`);
  const items = [{ price: 3 }, { price: 5 }, { price: 'n/a' }];
  const big = await f.run({ input: { kind: 'order', total: 150, text: 'love it', items } });
  assert.equal(big.path, ['route', 'order', 'big']);
  assert.equal(big.output, { mood: { sentiment: 'positive', score: 1, confidence: 1, keywords: ['love'] }, shape: { n: 3 } });
  const small = await f.run({ input: { kind: 'order', total: 7 } });
  assert.equal(small.path, ['route', 'order', 'small', 'check']);
  assert.equal(small.output, { kind: 'order', total: 7, note: 'order of 7' });
  assert.is(small.action, 'valid');
  const empty = await f.run({ input: { kind: 'order', total: 0, items } });
  assert.equal(empty.output, { count: 3, sum: 8, avg: 4, min: 3, max: 5, counts: { 'n/a': 1 } });
  const refund = await f.run({ input: { kind: 'refund' } });
  assert.equal(refund.path, ['route', 'refund']);
  assert.is(refund.action, 'refunded');
  const other = await f.run({ input: { kind: 'other' } });
  assert.equal(other.path, ['route']);
  assert.is(other.action, 'default');
});

test('built-ins: router without routes uses the value; validate errors or routes; aggregate over the store; delay passes through', async () => {
  const byValue = flow(`
name: by-value
start: r
nodes: [{ name: r, type: router, config: { field: status } }]
`);
  assert.is((await byValue.run({ input: { status: 'shipped' } })).action, 'shipped');
  assert.is((await byValue.run({ input: {} })).action, 'default');

  const strict = flow(`
name: strict
start: v
nodes: [{ name: v, type: validate, config: { schema: { type: object, required: [id], properties: { id: { type: integer } } } } }]
`);
  assert.is((await strict.run({ input: { id: 1 } })).action, 'valid');
  const err = await runError(strict, { input: { id: 'x' } });
  assert.is(err.code, 'invalid-input');
  assert.match(err.message, /input does not match the schema: id must be integer/);
  const routed = flow(`
name: routed
start: v
nodes: [{ name: v, type: validate, config: { schema: { type: object, required: [id] }, on_invalid: route } }]
`);
  const r = await routed.run({ input: { nope: 1 } });
  assert.is(r.action, 'invalid');
  assert.equal((r.output as { errors: string[] }).errors, ['(input) must have required properties id']);

  const agg = flow(`
name: agg
start: pause
nodes:
  - { name: pause, type: delay, config: { duration: 10ms } }
  - { name: sum, type: aggregate, config: { from: store, prefix: "sentiment:", value: sentiment, into: tally } }
connections: [{ from: pause, to: sum }]
`);
  const store = new Map<string, unknown>([
    ['sentiment:1', { sentiment: 'positive', score: 1 }],
    ['sentiment:2', { sentiment: 'negative', score: -1 }],
    ['sentiment:3', { sentiment: 'positive', score: 0.5 }],
    ['other', { sentiment: 'ignored' }],
  ]);
  const out = await agg.run({ input: { batch: 1 }, store });
  assert.equal(out.output, { batch: 1, tally: { count: 3, sum: null, avg: null, min: null, max: null, counts: { positive: 2, negative: 1 } } });
  assert.ok(out.trace[0]!.durationMs >= 9);
});

test('a failing node stops the run naming node, phase, plugin and code; store and trace are kept', async () => {
  const f = flow(`
name: fails
start: greet
nodes:
  - { name: greet, type: greet }
  - { name: shape, type: transform, config: { expression: "{phase: 'post', how: 'denied'}" } }
  - { name: boom, type: fail }
connections:
  - { from: greet, to: shape, action: greeted }
  - { from: shape, to: boom }
`);
  const err = await runError(f, { input: { name: 'Ada' } });
  assert.is(err.code, 'permission-denied');
  assert.is(err.node, 'boom');
  assert.is(err.phase, 'post');
  assert.is(err.plugin, 'kitchen-sink');
  assert.match(err.message, /^node "boom" \(fail, plugin kitchen-sink\) failed in post: no network for you$/);
  assert.equal(err.store, { count: 1, 'greeted:Ada': { message: 'Hello, Ada!' } });
  assert.equal(err.path, ['greet', 'shape', 'boom']);
  assert.equal(err.trace.map((s) => [s.node, s.action ?? s.error?.code]), [['greet', 'greeted'], ['shape', 'default'], ['boom', 'permission-denied']]);
  assert.ok(err.trace[2]!.phases.prep !== undefined && err.trace[2]!.phases.exec !== undefined);
});

test('validation reports every problem at once, with line and column', () => {
  const problems = invalid(`name: broken
start: missing
nodes:
  - { name: a, type: sentimnet }
  - { name: a, type: echo }
  - { name: c, type: sentiment, config: { threshold: high } }
  - { name: d, type: router, config: { field: "a[" } }
  - { name: e, type: flow, config: { path: nowhere.yaml } }
connections:
  - { from: a, to: ghost }
  - { from: spirit, to: a }
`);
  const expected = [
    /^4:22 unknown node type "sentimnet" in node "a" \(did you mean "sentiment"\?\); not a built-in and not offered by any plugin searched: sentiment-analyzer \(.*\), kitchen-sink \(.*\)$/,
    /^5:13 duplicate node name "a" \(first defined at nodes\.0\)$/,
    /^6:41 config of node "c" \(sentiment\): threshold must be number$/,
    /^7:38 config of node "d" \(router\): invalid expression "a\["/,
    /^8:36 config of node "e" \(flow\): path: no workflow file at .*nowhere\.yaml$/,
    /^2:8 start node "missing" is not defined \(nodes: a, c, d, e\)$/,
    /^10:20 connection to unknown node "ghost"$/,
    /^11:13 connection from unknown node "spirit"$/,
  ];
  assert.is(problems.length, expected.length, problems.join('\n'));
  expected.forEach((re, i) => assert.match(problems[i]!, re, problems[i]));
});

test('format problems: missing fields, unknown fields, bad durations, YAML syntax', () => {
  const top = invalid('nodes: []\nextra: 1\n');
  assert.ok(top.some((p) => /^1:1 missing required fields name, start$/.test(p)), top.join('\n'));
  assert.ok(top.some((p) => /^2:8 unknown key "extra" \(known: name, description, version, metadata, start, nodes, connections, plugins\)$/.test(p)), top.join('\n'));
  assert.ok(top.some((p) => /^1:8 nodes: /.test(p)), top.join('\n'));
  const durations = invalid('name: d\nstart: a\nnodes:\n  - { name: a, type: echo, timeout: soon, retry: { max_attempts: 0, delay: 1h } }\n');
  assert.ok(durations.some((p) => /nodes\.0\.timeout: "soon" is not a duration/.test(p)), durations.join('\n'));
  assert.ok(durations.some((p) => /nodes\.0\.retry\.delay: "1h" is not a duration/.test(p)), durations.join('\n'));
  assert.ok(durations.some((p) => /nodes\.0\.retry\.max_attempts/.test(p)), durations.join('\n'));
  const yaml = invalid('name: y\nstart: [a\n');
  assert.ok(yaml.length >= 1);
  for (const p of yaml) assert.match(p, /^\d+:\d+ not valid YAML: /, p);
});

test('more than eight problems are all reported', () => {
  const fields = Array.from({ length: 12 }, (_, i) => `  - { name: n${i}, type: echo, colour${i}: red }`).join('\n');
  const problems = invalid(`name: many\nstart: n0\nnodes:\n${fields}\n`);
  assert.is(problems.length, 12, problems.join('\n'));
  assert.ok(problems.every((p, i) => p.endsWith(`unknown key "colour${i}" (known: name, type, plugin, description, config, retry, timeout)`)), problems.join('\n'));
});

test('unreachable nodes are a warning, not an error', () => {
  const f = flow(`
name: island
start: a
nodes:
  - { name: a, type: echo }
  - { name: lonely, type: echo }
`);
  assert.equal(f.warnings.map((w) => [w.severity, w.message, w.line]), [['warning', 'node "lonely" is unreachable from start "a"', 6]]);
  assert.match(f.formatWarnings()[0]!, /:6:\d+: warning: node "lonely" is unreachable/);
});

test('a node type offered by two sources is an error naming both', () => {
  const reg = new NodeRegistry(builtinNodeTypes());
  reg.addPlugin(sentiment);
  try {
    reg.addPlugin(sentiment);
    assert.unreachable();
  } catch (err) {
    assert.is((err as PluginError).code, 'invalid-workflow');
    assert.match((err as Error).message, /node type "sentiment" is defined twice: by plugin sentiment-analyzer \(.*\) and by plugin sentiment-analyzer \(.*\)/);
  }
  try {
    new NodeRegistry([...builtinNodeTypes(), { ...builtinNodeTypes()[0]!, source: 'plugin impostor (x.wasm)' }]);
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /node type "echo" is defined twice: by built-in and by plugin impostor \(x\.wasm\)/);
  }
});

test('two plugins offering one node type: no error until an unqualified lookup, which says how to qualify', () => {
  const echo = builtinNodeTypes().find((t) => t.type === 'echo')!;
  const offered = (plugin: string) => ({ ...echo, type: 'hello', plugin, source: `plugin ${plugin} (${plugin}.wasm)` });
  const reg = new NodeRegistry([...builtinNodeTypes(), offered('a'), offered('b')]);
  assert.is(reg.get('hello'), undefined);
  assert.is(reg.lookup('hello', undefined, 'x').problem, 'node "x": node type "hello" is offered by plugins a and b; write type: a/hello (or plugin: a)');
  assert.is(reg.get('a/hello')?.plugin, 'a');
  assert.is(reg.get('hello', 'b')?.plugin, 'b');
  assert.match(reg.lookup('b/hello', 'a').problem!, /type "b\/hello" names plugin b, but plugin: a names another/);
  assert.match(reg.lookup('helo', 'a').problem!, /plugin a offers no node type "helo" \(did you mean "hello"\?\); it offers: hello/);
  assert.is(reg.get('echo')?.plugin, undefined, 'built-ins are found unqualified');
});

test('the configs of a parallel node\'s children are checked before the run', () => {
  const problems = invalid(`name: p
start: p
nodes:
  - name: p
    type: parallel
    config:
      nodes:
        - { name: a, type: transform, config: { expression: "a[" } }
        - { name: b, type: sentiment, config: { threshold: high } }
`);
  assert.is(problems.length, 2, problems.join('\n'));
  assert.match(problems[0]!, /nodes: config of "a" \(transform\): invalid expression "a\["/);
  assert.match(problems[1]!, /nodes: config of "b" \(sentiment\): threshold must be number/);
});

test('runBatch works from the library, in input order, with per-item failures', async () => {
  const { runBatch } = await import('../host/src/index.js');
  const file = write('batch-lib.yaml', 'name: b\nstart: a\nnodes: [{ name: a, type: sentiment }]\n');
  const results: { index: number; ok: boolean }[] = [];
  const counts = await runBatch([{ text: 'great' }, { nope: 1 }, { text: 'awful' }], { workflow: file, plugins: [sentiment.source.source], concurrency: 2, cacheDir: CACHE_DIR }, (r) => {
    results.push({ index: r.index, ok: r.ok });
  });
  assert.equal(counts, { ok: 2, failed: 1 });
  assert.equal(results, [{ index: 0, ok: true }, { index: 1, ok: false }, { index: 2, ok: true }]);
});

test('problems inside a nested flow are reported when the outer flow is checked', () => {
  write('nested-bad/inner.yaml', 'name: inner\nstart: x\nnodes: [{ name: x, type: nosuch }]\n');
  const problems = invalid('name: outer\nstart: s\nnodes: [{ name: s, type: flow, config: { path: nested-bad/inner.yaml } }]\n');
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /config of node "s" \(flow\): in nested-bad\/inner\.yaml: .*inner\.yaml:3:\d+: error: unknown node type "nosuch"/);
});

test('parseWorkflow works on text for embedding apps', async () => {
  const source = parseWorkflow('name: t\nstart: a\nnodes: [{ name: a, type: echo }]\n', 'inline.yaml');
  const r = await new Flow(source, registry).run({ input: 42 });
  assert.equal(r, { output: 42, store: {}, path: ['a'], action: 'default', trace: r.trace });
});

test.after(async () => {
  await sentiment?.close();
  await sink?.close();
});

test.run();
