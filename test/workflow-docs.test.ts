/**
 * docs/WORKFLOWS.md against reality: every workflow the page shows is its file in
 * examples/workflows/docs/ byte for byte, every example file is shown, and every example run
 * through the real CLI gives exactly the result the page shows (the expected values are literals
 * here, and each one must also appear in the page).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CACHE_DIR, ROOT, runCli, tempDir, type CliResult } from './helpers.js';

const DOC = readFileSync(join(ROOT, 'docs/WORKFLOWS.md'), 'utf8');
const DIR = 'examples/workflows/docs';
const PLUGINS = join(ROOT, 'examples');
/** Only the plugins that --plugins names: nothing from this machine's ~/.pocket or POCKET_PLUGIN_PATH. */
const ENV = { POCKET_HOME: tempDir('pocket-wit-docs-home-'), POCKET_PLUGIN_PATH: '' };
const work = tempDir('pocket-wit-docs-');

/** `<!-- example-file: path -->` followed by a fenced block: path → the block's text. */
function markedBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of DOC.matchAll(/<!-- example-file: (\S+) -->\n```\w+\n([\s\S]*?)^```$/gm)) {
    assert.not.ok(blocks.has(m[1]!), `${m[1]} is shown twice`);
    blocks.set(m[1]!, m[2]!);
  }
  return blocks;
}

/** The page shows `text` somewhere. */
function shown(text: string): void {
  assert.ok(DOC.includes(text), `docs/WORKFLOWS.md should show:\n${text}`);
}

/** `actual` is exactly the lines `expected`, and the page shows them. */
function printed(actual: string, expected: string): void {
  assert.is(actual, `${expected}\n`);
  shown(expected);
}

function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`;
}

const ran = new Set<string>();

/**
 * Run `pocket-wit flow examples/workflows/docs/<file> <args>` as the page shows it (the page must
 * hold that exact command line), plus `--plugins <repo>/examples` when the page leaves it out
 * (it changes nothing for built-in-only workflows) and `hidden` arguments the page does not show.
 */
async function flow(file: string, args: string[], hidden: string[] = []): Promise<CliResult> {
  const command = `$ pocket-wit flow ${DIR}/${file} ${args.map(shellWord).join(' ')}\n`;
  shown(command);
  ran.add(file);
  const plugins = args.includes('--plugins') ? [] : ['--plugins', PLUGINS];
  return runCli(['flow', `${DIR}/${file}`, ...args, ...plugins, ...hidden], { env: ENV });
}

test.before(async () => {
  // Build the sentiment plugin and the kitchen-sink fixture now if they are stale, so no later
  // run prints build steps.
  const r = await runCli(['flow', `${DIR}/sentiment.yaml`, '--plugins', PLUGINS, '--check'], { env: ENV });
  assert.is(r.code, 0, r.stderr);
  const k = await runCli(['flow', `${DIR}/timeout-plugin.yaml`, '--plugins', 'test/fixtures/kitchen-sink', '--check'], { env: ENV });
  assert.is(k.code, 0, k.stderr);
});

test('every marked block in docs/WORKFLOWS.md is its file, byte for byte', () => {
  const blocks = markedBlocks();
  assert.is(blocks.size, DOC.split('<!-- example-file: ').length - 1, 'every marker is directly followed by a fenced block');
  for (const [path, text] of blocks) {
    assert.ok(path.startsWith(`${DIR}/`), `${path} is under ${DIR}`);
    assert.fixture(text, readFileSync(join(ROOT, path), 'utf8'), path);
  }
});

test('every file in examples/workflows/docs/ is shown in the page', () => {
  const blocks = markedBlocks();
  const files = readdirSync(join(ROOT, DIR)).sort();
  assert.equal(files, [...blocks.keys()].map((p) => p.slice(DIR.length + 1)).sort());
  assert.ok(files.filter((f) => f.endsWith('.yaml')).length >= 16);
});

test('every-field.yaml', async () => {
  const r = await flow('every-field.yaml', ['--input', '{"name":"Ada"}', '--json']);
  assert.is(r.code, 0, r.stderr);
  printed(r.stdout, '{"output":{"name":"Ada","greeting":"Hello, Ada!"},"store":{},"path":["check","greet","done"],"action":"greeted"}');
});

test('retry.yaml: a valid input passes at once, an invalid one is retried with capped delays', async () => {
  const ok = await flow('retry.yaml', ['--input', '{"id":"r-1"}', '--json']);
  assert.is(ok.code, 0, ok.stderr);
  printed(ok.stdout, '{"output":{"id":"r-1"},"store":{},"path":["check"],"action":"valid"}');

  const trace = join(work, 'retry-trace.json');
  const bad = await flow('retry.yaml', ['--input', '{"name":"no id"}'], ['--trace', trace]);
  assert.is(bad.code, 1);
  assert.is(bad.stdout, '');
  printed(
    bad.stderr,
    [
      '[pocket/check] warn: exec failed (attempt 1 of 3), retrying in 10 ms: input does not match the schema: (input) must have required properties id',
      '[pocket/check] warn: exec failed (attempt 2 of 3), retrying in 20 ms: input does not match the schema: (input) must have required properties id',
      'path: check',
      'store at failure: {}',
      'error[invalid-input]: node "check" (validate, built-in) failed in exec: input does not match the schema: (input) must have required properties id',
    ].join('\n'),
  );
  const steps = JSON.parse(readFileSync(trace, 'utf8')) as { retries: number; error: { phase: string; code: string } }[];
  assert.is(steps.length, 1);
  assert.is(steps[0]!.retries, 2);
  assert.equal(steps[0]!.error.code, 'invalid-input');
  shown('The trace records `"retries": 2`');
});

test('timeout.yaml: the delay is stopped by the node timeout; the trace step matches the page', async () => {
  const trace = join(work, 'timeout-trace.json');
  const r = await flow('timeout.yaml', ['--input', '{"n":1}', '--json'], ['--trace', trace]);
  assert.is(r.code, 1);
  // The node's own time (the trace's), not the process's: loading the example plugins takes
  // seconds on a busy 2-core machine.
  const [visit] = JSON.parse(readFileSync(trace, 'utf8')) as { durationMs: number }[];
  assert.ok(visit!.durationMs < 1900, `stopped at the timeout, not after the 2 s delay (took ${visit!.durationMs} ms)`);
  printed(r.stdout, '{"error":{"code":"timeout","message":"node \\"slow\\" (delay, built-in) failed in exec: node \\"slow\\" took longer than its timeout of 100ms","node":"slow","phase":"exec","details":{"node":"slow","type":"delay","phase":"exec","plugin":null,"code":"timeout","path":["slow"]},"store":{},"path":["slow"]}}');
  assert.is(r.stderr, 'error[timeout]: node "slow" (delay, built-in) failed in exec: node "slow" took longer than its timeout of 100ms\n');

  const [step] = JSON.parse(readFileSync(trace, 'utf8')) as Record<string, unknown>[];
  const docStep = JSON.parse(/```json\n([\s\S]*?)^```$/m.exec(DOC)![1]!) as Record<string, unknown>;
  assert.equal(Object.keys(step!), ['step', 'node', 'type', 'startedAt', 'offsetMs', 'durationMs', 'phases', 'retries', 'inputBytes', 'error', 'spans']);
  assert.equal(Object.keys(docStep), Object.keys(step!));
  for (const key of ['step', 'node', 'type', 'retries', 'inputBytes', 'error']) assert.equal(docStep[key], step![key], key);
  assert.equal(Object.keys(step!.phases as object), ['prep']);
  // The spans as the page shows them, but for their times: prep, then the one exec attempt, stopped by the timeout.
  const untimed = (spans: unknown): unknown => (spans as Record<string, unknown>[]).map(({ startMs: _s, durationMs: _d, ...rest }) => rest);
  assert.equal(untimed(step!.spans), [{ phase: 'prep' }, { phase: 'exec', attempt: 1, failed: true, code: 'timeout' }]);
  assert.equal(untimed(docStep.spans), untimed(step!.spans));
});

test('timeout-plugin.yaml: a plugin call that overran its timeout fails the node once it returns', async () => {
  const started = performance.now();
  const r = await flow('timeout-plugin.yaml', ['--plugins', 'test/fixtures/kitchen-sink', '--input', '{"ms":300}', '--json']);
  assert.is(r.code, 1);
  assert.ok(performance.now() - started >= 300, 'the synchronous call ran to its end first');
  printed(r.stdout, '{"error":{"code":"timeout","message":"node \\"busy\\" (spin, plugin kitchen-sink) failed in exec: node \\"busy\\" took longer than its timeout of 100ms","node":"busy","phase":"exec","details":{"node":"busy","type":"spin","phase":"exec","plugin":"kitchen-sink","code":"timeout","path":["busy"]},"store":{},"path":["busy"]}}');
  const quick = await flow('timeout-plugin.yaml', ['--plugins', 'test/fixtures/kitchen-sink', '--input', '{"ms":10}', '--json']);
  assert.is(quick.code, 0, quick.stderr);
  printed(quick.stdout, '{"output":{"spins":true},"store":{},"path":["busy"],"action":"default"}');
});

test('timeout-parallel.yaml: the parallel node\'s timeout stops its children', async () => {
  const trace = join(work, 'timeout-parallel-trace.json');
  const r = await flow('timeout-parallel.yaml', ['--input', '{"n":1}', '--json'], ['--trace', trace]);
  assert.is(r.code, 1);
  // The nodes' own times (the trace's), not the process's (plugin loading is not the point).
  const visits = JSON.parse(readFileSync(trace, 'utf8')) as { node: string; durationMs: number }[];
  for (const v of visits) assert.ok(v.durationMs < 1900, `${v.node}: the 2 s child was stopped with its parent (took ${v.durationMs} ms)`);
  printed(r.stdout, '{"error":{"code":"timeout","message":"node \\"fan-out\\" (parallel, built-in) failed in exec: node \\"fan-out\\" took longer than its timeout of 100ms","node":"fan-out","phase":"exec","details":{"node":"fan-out","type":"parallel","phase":"exec","plugin":null,"code":"timeout","path":["fan-out"]},"store":{},"path":["fan-out"]}}');
  const steps = JSON.parse(readFileSync(trace, 'utf8')) as { node: string; error?: { code: string } }[];
  assert.equal(steps.map((s) => [s.node, s.error?.code ?? 'ok']), [['fan-out/quick', 'ok'], ['fan-out/slow', 'timeout'], ['fan-out', 'timeout']]);
});

test('step-limit.yaml: a cycle is stopped by the step limit', async () => {
  const r = await flow('step-limit.yaml', ['--input', '{"n":1}', '--step-limit', '5', '--json']);
  assert.is(r.code, 1);
  printed(r.stdout, '{"error":{"code":"step-limit","message":"node \\"pong\\" (echo, built-in) failed in route: the run took 5 steps without ending (last: ping → pong → ping → pong → ping → pong); check the workflow for a cycle, or raise the step limit","node":"pong","phase":"route","details":{"node":"pong","type":"echo","phase":"route","plugin":null,"code":"step-limit","path":["ping","pong","ping","pong","ping"]},"store":{},"path":["ping","pong","ping","pong","ping"]}}');
});

test('invalid-format.yaml: every format problem with file:line:col', async () => {
  const r = await flow('invalid-format.yaml', ['--check']);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  printed(
    r.stderr,
    [
      'error[invalid-workflow]: examples/workflows/docs/invalid-format.yaml has 6 problems:',
      '  examples/workflows/docs/invalid-format.yaml:1:1: error: missing required field start',
      '  examples/workflows/docs/invalid-format.yaml:7:14: error: nodes.0: unknown key "tiemout" (did you mean "timeout"?) (at nodes.0.tiemout)',
      '  examples/workflows/docs/invalid-format.yaml:8:28: error: nodes.0.retry.max_attempts: must be >= 1 (at nodes.0.retry.max_attempts)',
      '  examples/workflows/docs/invalid-format.yaml:8:38: error: nodes.0.retry.delay: "1h" is not a duration; write for example "500ms", "5s" or "1m" (at nodes.0.retry.delay)',
      '  examples/workflows/docs/invalid-format.yaml:6:14: error: nodes.0.timeout: "soon" is not a duration; write for example "500ms", "5s" or "1m" (at nodes.0.timeout)',
      '  examples/workflows/docs/invalid-format.yaml:10:5: error: connections.0: missing required field to (at connections.0)',
    ].join('\n'),
  );
  assert.not.match(r.stderr, /schema is false/);
});

test('invalid.yaml: every check against the node types, all at once', async () => {
  const r = await flow('invalid.yaml', ['--check', '--plugins', 'examples']);
  assert.is(r.code, 1);
  printed(
    r.stderr.replaceAll(ROOT, '<repo>'),
    [
      'error[invalid-workflow]: examples/workflows/docs/invalid.yaml has 10 problems:',
      '  examples/workflows/docs/invalid.yaml:6:13: error: config of node "first" (echo): action must be string (at nodes.0.config)',
      '  examples/workflows/docs/invalid.yaml:7:11: error: duplicate node name "first" (first defined at nodes.0) (at nodes.1.name)',
      '  examples/workflows/docs/invalid.yaml:8:11: error: unknown node type "transfrom" in node "first" (did you mean "transform"?); not a built-in and not offered by any plugin searched: c-word-stats (<repo>/examples/c-word-stats/dist/c-word-stats.wasm), json-transformer (<repo>/examples/json-transformer/dist/json-transformer.wasm), sentiment-analyzer (<repo>/examples/sentiment-analyzer/dist/sentiment-analyzer.wasm), word-counter (<repo>/examples/word-counter/dist/word-counter.wasm) (at nodes.1.type)',
      '  examples/workflows/docs/invalid.yaml:11:13: error: config of node "pick" (transform): invalid expression "items[": Syntax error: expected Star, got: EOF (at nodes.2.config)',
      '  examples/workflows/docs/invalid.yaml:15:7: error: config of node "fan-out" (parallel): nodes: config of "score" (sentiment): threshold must be number (at nodes.3.config)',
      '  examples/workflows/docs/invalid.yaml:15:7: error: config of node "fan-out" (parallel): nodes: config of "wait" (delay): missing required field duration (at nodes.3.config)',
      '  examples/workflows/docs/invalid.yaml:15:7: error: config of node "fan-out" (parallel): nodes: duplicate name "wait" (at nodes.3.config)',
      '  examples/workflows/docs/invalid.yaml:2:8: error: start node "begin" is not defined (nodes: first, pick, fan-out) (at start)',
      '  examples/workflows/docs/invalid.yaml:21:24: error: connection to unknown node "last" (at connections.1.to)',
      '  examples/workflows/docs/invalid.yaml:21:5: error: node "first" has two connections for action "default" (also connections.0) (at connections.1)',
    ].join('\n'),
  );
});

test('unreachable.yaml: a warning, and the workflow is still valid', async () => {
  const warning = 'examples/workflows/docs/unreachable.yaml:6:11: warning: node "orphan" is unreachable from start "first" (at nodes.1.name)';
  const r = await flow('unreachable.yaml', ['--check']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, `${warning}\n`);
  printed(r.stdout, 'ok: examples/workflows/docs/unreachable.yaml is valid (2 nodes, 0 connections, 1 warnings)');
  shown(`${warning}\nok: `);
  const j = await flow('unreachable.yaml', ['--check', '--json']);
  assert.is(j.code, 0, j.stderr);
  printed(j.stdout, '{"valid":true,"warnings":[{"severity":"warning","message":"node \\"orphan\\" is unreachable from start \\"first\\"","path":"nodes.1.name","line":6,"column":11}]}');
});

test('echo.yaml: passes the input on, logs at info, routes by its fixed action', async () => {
  const r = await flow('echo.yaml', ['--input', '{"text":"hi"}', '--json', '--log-level', 'info']);
  assert.is(r.code, 0, r.stderr);
  printed(r.stdout, '{"output":{"greeting":"hi","seen":true},"store":{},"path":["greet","wrap"],"action":"default"}');
  assert.is(r.stderr, '[pocket/greet] info: greeting received\n');
  shown('It prints `[pocket/greet] info: greeting received` on stderr.');
});

test('delay.yaml; a bare number as --input, and no --input at all', async () => {
  const r = await flow('delay.yaml', ['--input', '{"n":1}', '--json']);
  assert.is(r.code, 0, r.stderr);
  printed(r.stdout, '{"output":{"n":1},"store":{},"path":["wait"],"action":"default"}');
  const one = await flow('delay.yaml', ['--input', '1', '--json']);
  assert.is(one.code, 0, one.stderr);
  printed(one.stdout, '{"output":1,"store":{},"path":["wait"],"action":"default"}');
  const none = await flow('delay.yaml', ['--json']);
  assert.is(none.code, 0, none.stderr);
  printed(none.stdout, '{"output":null,"store":{},"path":["wait"],"action":"default"}');
});

test('router.yaml: routes, and the default for values without a route', async () => {
  const critical = await flow('router.yaml', ['--input', '{"id":"T-1","priority":"critical"}', '--json']);
  printed(critical.stdout, '{"output":{"id":"T-1","priority":"critical","handled":"Paging on-call for T-1"},"store":{},"path":["triage","page-on-call"],"action":"default"}');
  const low = await flow('router.yaml', ['--input', '{"id":"T-2","priority":"low"}', '--json']);
  printed(low.stdout, '{"output":{"id":"T-2","priority":"low","handled":"T-2 put in the backlog"},"store":{},"path":["triage","backlog"],"action":"default"}');
  const none = await flow('router.yaml', ['--input', '{"id":"T-3"}', '--json']);
  printed(none.stdout, '{"output":{"id":"T-3","handled":"T-3 queued"},"store":{},"path":["triage","queue"],"action":"default"}');
});

test('conditional.yaml: the first condition that holds, else the default', async () => {
  const gift = await flow('conditional.yaml', ['--input', '{"tags":["gift"],"items":[{"price":5}]}', '--json']);
  printed(gift.stdout, '{"output":{"tags":["gift"],"items":[{"price":5}]},"store":{},"path":["classify","gift-wrap"],"action":"wrapped"}');
  const big = await flow('conditional.yaml', ['--input', '{"tags":[],"items":[{"price":80},{"price":40}]}', '--json']);
  printed(big.stdout, '{"output":{"tags":[],"items":[{"price":80},{"price":40}]},"store":{},"path":["classify","free-shipping"],"action":"free-shipping"}');
  const small = await flow('conditional.yaml', ['--input', '{"tags":[],"items":[{"price":8}]}', '--json']);
  printed(small.stdout, '{"output":{"tags":[],"items":[{"price":8}]},"store":{},"path":["classify"],"action":"small"}');
});

test('transform.yaml', async () => {
  const r = await flow('transform.yaml', ['--input', '{"user":{"name":"Ada"},"items":[{"sku":"A1","price":12.5},{"sku":"B2","price":4},{"sku":"C3","price":30}]}', '--json']);
  assert.is(r.code, 0, r.stderr);
  printed(r.stdout, '{"output":{"customer":"Ada","items":3,"total":46.5,"skus":["A1","C3"]},"store":{},"path":["summarize"],"action":"default"}');
});

test('template.yaml: input, store, into', async () => {
  const r = await flow('template.yaml', ['--input', '{"name":"Ada","order":"#42","items":["boots","socks"]}', '--store', '{"greeting":"Hello"}', '--json']);
  assert.is(r.code, 0, r.stderr);
  printed(r.stdout, '{"output":"Order #42 for Ada: Hello Ada, your parcel holds [boots][socks].","store":{"greeting":"Hello"},"path":["subject","letter"],"action":"default"}');
});

test('validate.yaml: valid and invalid (on_invalid: route)', async () => {
  const ok = await flow('validate.yaml', ['--input', '{"email":"ada@example.com","age":36}', '--json']);
  printed(ok.stdout, '{"output":"Welcome, ada@example.com!","store":{},"path":["check","welcome"],"action":"default"}');
  const bad = await flow('validate.yaml', ['--input', '{"email":"ada","age":12}', '--json']);
  assert.is(bad.code, 0, bad.stderr);
  printed(bad.stdout, '{"output":{"rejected":"ada","why":["email must match pattern \\"^[^@]+@[^@]+$\\"","age must be >= 18"]},"store":{},"path":["check","reject"],"action":"default"}');
});

test('aggregate.yaml: from the input and from the store', async () => {
  const r = await flow('aggregate.yaml', ['--input', '{"orders":[{"amount":20,"status":"paid"},{"amount":5,"status":"open"},{"amount":35,"status":"paid"}]}', '--store', '{"score:ada":4,"score:bob":2,"visits":10}', '--json']);
  assert.is(r.code, 0, r.stderr);
  printed(r.stdout, '{"output":{"orders":[{"amount":20,"status":"paid"},{"amount":5,"status":"open"},{"amount":35,"status":"paid"}],"amounts":{"count":3,"sum":60,"avg":20,"min":5,"max":35,"counts":{}},"statuses":{"count":3,"sum":null,"avg":null,"min":null,"max":null,"counts":{"paid":2,"open":1}},"scores":{"count":2,"sum":6,"avg":3,"min":2,"max":4,"counts":{}}},"store":{"score:ada":4,"score:bob":2,"visits":10},"path":["amounts","statuses","scores"],"action":"default"}');
});

test('parallel.yaml', async () => {
  const r = await flow('parallel.yaml', ['--input', '{"customer":"Ada","items":[{"price":12.5},{"price":4}]}', '--json']);
  assert.is(r.code, 0, r.stderr);
  printed(r.stdout, '{"output":{"total":16.5,"label":"Ada (2 items)","valid":{"customer":"Ada","items":[{"price":12.5},{"price":4}]}},"store":{},"path":["fan-out"],"action":"default"}');
  const bad = await flow('parallel.yaml', ['--input', '{"customer":"Ada"}', '--json']);
  assert.is(bad.code, 1);
  printed(bad.stdout, '{"error":{"code":"plugin-error","message":"node \\"fan-out/total\\" (transform, built-in) failed in exec: Invalid type: sum() expected argument 1 to be type (Array<number>) but received type null instead.","node":"fan-out/total","phase":"exec","details":{"node":"fan-out/total","type":"transform","phase":"exec","plugin":null,"code":"plugin-error","path":["fan-out"]},"store":{},"path":["fan-out"]}}');
});

test('nested-flow.yaml: the child\'s last action routes the parent; the trace is as the page shows', async () => {
  const trace = join(work, 'nested-trace.json');
  const big = await flow('nested-flow.yaml', ['--input', '{"id":"o-1","items":[{"price":80},{"price":40}]}', '--store', '{"carrier":"DHL"}', '--json'], ['--trace', trace]);
  assert.is(big.code, 0, big.stderr);
  printed(big.stdout, '{"output":"o-1: express by DHL","store":{"carrier":"DHL"},"path":["prepare","classify","ship-express"],"action":"default"}');
  const small = await flow('nested-flow.yaml', ['--input', '{"id":"o-2","items":[{"price":8}]}', '--store', '{"carrier":"DHL"}', '--json']);
  printed(small.stdout, '{"output":"o-2: standard by DHL","store":{"carrier":"DHL"},"path":["prepare","classify","ship-standard"],"action":"default"}');

  const steps = (JSON.parse(readFileSync(trace, 'utf8')) as { step: number; node: string; type: string; action: string }[]).map((s) => [s.step, s.node, s.type, s.action]);
  const expected: [number, string, string, string][] = [
    [1, 'prepare', 'transform', 'default'],
    [2, 'classify/check', 'validate', 'valid'],
    [3, 'classify/carrier', 'template', 'default'],
    [4, 'classify/size', 'conditional', 'big'],
    [2, 'classify', 'flow', 'big'],
    [6, 'ship-express', 'template', 'default'],
  ];
  assert.equal(steps, expected);
  shown(expected.map(([step, node, type, action]) => `| ${step} | \`${node}\` | \`${type}\` | \`${action}\` |`).join('\n'));
});

test('nested-flow.yaml: a failure inside the child reports the whole path', async () => {
  const args = ['--input', '{"id":"o-3","items":[]}', '--store', '{"carrier":"DHL"}'];
  const r = await flow('nested-flow.yaml', [...args, '--json']);
  assert.is(r.code, 1);
  printed(r.stdout, '{"error":{"code":"invalid-input","message":"node \\"classify/check\\" (validate, built-in) failed in exec: input does not match the schema: total must be > 0","node":"classify/check","phase":"exec","details":{"node":"classify/check","type":"validate","phase":"exec","plugin":null,"code":"invalid-input","path":["prepare","classify","classify/check"]},"store":{"carrier":"DHL"},"path":["prepare","classify","classify/check"]}}');
  const text = await runCli(['flow', `${DIR}/nested-flow.yaml`, ...args], { env: ENV });
  assert.is(text.code, 1);
  assert.match(text.stderr, /^path: prepare → classify → classify\/check\n/);
  shown('`path: prepare → classify → classify/check`');
});

test('nested-flow-child.yaml runs on its own', async () => {
  const r = await flow('nested-flow-child.yaml', ['--input', '{"total":120}', '--store', '{"carrier":"UPS"}', '--json']);
  assert.is(r.code, 0, r.stderr);
  printed(r.stdout, '{"output":{"total":120,"carrier":"UPS"},"store":{"carrier":"UPS"},"path":["check","carrier","size"],"action":"big"}');
});

test('sentiment.yaml: the plugin node routes by its action and writes the shared store', async () => {
  const stamp = (s: string): string => s.replace(/"sentiment:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/g, '"sentiment:<timestamp>"');
  const positive = await flow('sentiment.yaml', ['--plugins', 'examples', '--input', '{"text":"Great boots, I love them"}', '--json']);
  assert.is(positive.code, 0, positive.stderr);
  printed(stamp(positive.stdout), '{"output":{"sentiment":"positive","score":1,"confidence":1,"keywords":["great","love"],"reply":"Thanks! (great,love)","tally":{"count":1,"sum":null,"avg":null,"min":null,"max":null,"counts":{"positive":1}}},"store":{"sentiment:<timestamp>":{"sentiment":"positive","score":1,"confidence":1,"keywords":["great","love"]}},"path":["analyze","thank","tally"],"action":"default"}');
  const negative = await flow('sentiment.yaml', ['--plugins', 'examples', '--input', '{"text":"Awful laces, broken after a week"}', '--json']);
  printed(stamp(negative.stdout), '{"output":{"sentiment":"negative","score":-1,"confidence":1,"keywords":["awful","broken"],"reply":"Escalated: awful,broken","tally":{"count":1,"sum":null,"avg":null,"min":null,"max":null,"counts":{"negative":1}}},"store":{"sentiment:<timestamp>":{"sentiment":"negative","score":-1,"confidence":1,"keywords":["awful","broken"]}},"path":["analyze","escalate","tally"],"action":"default"}');
  const neutral = await flow('sentiment.yaml', ['--plugins', 'examples', '--input', '{"text":"good but bad"}', '--json']);
  printed(stamp(neutral.stdout), '{"output":{"sentiment":"neutral","score":0,"confidence":1,"keywords":["good","bad"]},"store":{"sentiment:<timestamp>":{"sentiment":"neutral","score":0,"confidence":1,"keywords":["good","bad"]}},"path":["analyze"],"action":"neutral"}');
});

test('sentiment.yaml: a plugin failing in prep is named with node, phase, plugin and code', async () => {
  const r = await flow('sentiment.yaml', ['--plugins', 'examples', '--input', '{"text":"Super boots","lang":"fr"}', '--json']);
  assert.is(r.code, 1);
  printed(r.stdout, '{"error":{"code":"invalid-input","message":"node \\"analyze\\" (sentiment, plugin sentiment-analyzer) failed in prep: unsupported language \\"fr\\" (supported: en)","node":"analyze","phase":"prep","details":{"node":"analyze","type":"sentiment","phase":"prep","plugin":"sentiment-analyzer","code":"invalid-input","path":["analyze"]},"store":{},"path":["analyze"]}}');
});

test('pins.yaml: a version outside the range, a missing plugin and a bad range are all reported', async () => {
  const r = await flow('pins.yaml', ['--check', '--plugins', 'examples']);
  assert.is(r.code, 1);
  printed(
    r.stderr.replaceAll(ROOT, '<repo>'),
    [
      'error[invalid-workflow]: examples/workflows/docs/pins.yaml has 3 problems:',
      '  examples/workflows/docs/pins.yaml:4:23: error: the workflow requires plugin sentiment-analyzer ^2.0.0, but <repo>/examples/sentiment-analyzer/dist/sentiment-analyzer.wasm is version 1.0.0; install a matching version or change the range (at plugins.sentiment-analyzer)',
      '  examples/workflows/docs/pins.yaml:5:15: error: the workflow requires plugin csv-reader ^1.0.0, but no plugin of that name was found (found: c-word-stats@1.0.0, json-transformer@1.0.0, sentiment-analyzer@1.0.0, word-counter@1.0.0) (at plugins.csv-reader)',
      '  examples/workflows/docs/pins.yaml:6:21: error: plugins.json-transformer: "one point oh" is not a version range (write for example "^1.2.0", ">=1.0.0 <2.0.0" or "npm:@scope/package@^1.2.0") (at plugins.json-transformer)',
    ].join('\n'),
  );
  shown('plugins: { sentiment-analyzer: "^1.0.0" }');
});

test('batch: --trace is a usage error', async () => {
  const args = ['--batch', `${DIR}/orders.jsonl`, '--out', 'results.jsonl', '--trace', 'trace.json'];
  shown(`$ pocket-wit flow ${DIR}/transform.yaml ${args.join(' ')}\n`);
  const cwd = tempDir('pocket-wit-docs-batch-trace-');
  const r = await runCli(['flow', join(ROOT, `${DIR}/transform.yaml`), '--batch', join(ROOT, `${DIR}/orders.jsonl`), '--out', 'results.jsonl', '--trace', 'trace.json'], { cwd, env: ENV });
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  printed(r.stderr, 'error[usage]: --trace goes with a single run; a batch records each result in --out\n  run `pocket-wit --help` or `pocket-wit <command> --help`');
  assert.equal(readdirSync(cwd), [], 'nothing was written');
});

test('batch: orders.jsonl through transform.yaml, results in input order, exit 1', async () => {
  const args = ['--batch', `${DIR}/orders.jsonl`, '--out', 'results.jsonl', '--concurrency', '2'];
  shown(`$ pocket-wit flow ${DIR}/transform.yaml ${args.join(' ')}\n`);
  ran.add('orders.jsonl');
  // Run in a temporary directory so that results.jsonl lands there.
  const abs = (p: string): string => join(ROOT, p);
  const cwd = tempDir('pocket-wit-docs-batch-');
  const run = (extra: string[]) => runCli(['flow', abs(`${DIR}/transform.yaml`), '--batch', abs(`${DIR}/orders.jsonl`), '--out', 'results.jsonl', '--concurrency', '2', '--plugins', PLUGINS, ...extra], { cwd, env: ENV });

  const r = await run([]);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^batch: 2 ok, 2 failed of 4 inputs in [\d.]+ s \(concurrency 2\) → results\.jsonl\n$/);
  shown('batch: 2 ok, 2 failed of 4 inputs in 0.9 s (concurrency 2) → results.jsonl\n');
  printed(r.stderr, 'error[plugin-error]: 2 of 4 inputs failed (1 error[plugin-error], 1 error[invalid-input]); each failure is recorded in results.jsonl');
  const results = readFileSync(join(cwd, 'results.jsonl'), 'utf8').replace(/("line 4 is not valid JSON: )[^"]*"/, '$1…"');
  printed(
    results,
    [
      '{"line":1,"ok":true,"output":{"customer":"Ada","items":2,"total":16.5,"skus":["A1"]},"action":"default","path":["summarize"]}',
      '{"line":2,"ok":false,"error":{"code":"plugin-error","message":"node \\"summarize\\" (transform, built-in) failed in exec: Invalid type: length() expected argument 1 to be type (string | array | object) but received type null instead.","node":"summarize","phase":"exec"}}',
      '{"line":4,"ok":false,"error":{"code":"invalid-input","message":"line 4 is not valid JSON: …"}}',
      '{"line":5,"ok":true,"output":{"customer":"Cy","items":1,"total":30,"skus":["C3"]},"action":"default","path":["summarize"]}',
    ].join('\n'),
  );

  const j = await run(['--json']);
  assert.is(j.code, 1);
  const [summary, error] = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.type(summary!.seconds, 'number');
  const summaryShown = '{"inputs":4,"ok":2,"failed":2,"retried":0,"out":"results.jsonl","seconds":0.9,"concurrency":2}';
  assert.equal({ ...summary, seconds: 0.9 }, JSON.parse(summaryShown));
  shown(summaryShown);
  assert.equal(error, { error: { code: 'plugin-error', message: '2 of 4 inputs failed (1 error[plugin-error], 1 error[invalid-input]); each failure is recorded in results.jsonl' } });
});

test('the library example runs as the page shows', async () => {
  const code = /```ts\n([\s\S]*?)^```$/m.exec(DOC)![1]!;
  const script = join(work, 'library-example.mts');
  writeFileSync(script, code.replace("'pocket-wit/host'", `'${pathToFileURL(join(ROOT, 'dist/host/src/index.js')).href}'`));
  const r = await new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, POCKET_WIT_CACHE: CACHE_DIR, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c ?? -1, stdout, stderr }));
  });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /reply: 'Thanks! \(great,love\)'/);
  assert.match(r.stdout, /default \[ 'analyze', 'thank', 'tally' \] \[ 'sentiment:\d{4}-/);
  assert.match(r.stdout, /\n0 default\n1 neutral\n\{ ok: 2, failed: 0 \}\n$/);
});

test('every example file was run', () => {
  const files = readdirSync(join(ROOT, DIR)).sort();
  assert.equal([...ran].sort(), files);
});

test.run();
