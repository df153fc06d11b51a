/**
 * Plugin management through the real CLI in a temporary POCKET_HOME: install from each kind of
 * source, list / info / remove (text and JSON), integrity, version pins, duplicate node types,
 * validate and test, and hot reload during a running batch.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlugin } from '../tools/build/build.js';
import { loadPlugin, silentLogSink } from '../host/src/index.js';
import { CACHE_DIR, CLI, ROOT, built, runCli, tempDir } from './helpers.js';

const home = tempDir('pocket-home-');
const work = tempDir('pocket-manage-');
const env = { POCKET_HOME: home, POCKET_PLUGIN_PATH: '' };
const plugins = join(home, 'plugins');
const cli = (args: string[], cwd = work) => runCli(args, { env, cwd });
const lock = () => JSON.parse(readFileSync(join(plugins, 'pocket-lock.json'), 'utf8')) as { plugins: Record<string, { version: string; sha256: string; file: string }> };
const project = join(work, 'sentiment-analyzer');

/** A copy of the sentiment example at another version (and optionally with a changed word list). */
async function variant(version: string, extraPositive?: string): Promise<string> {
  const dir = join(work, `sentiment-${version}`);
  cpSync(join(ROOT, 'examples/sentiment-analyzer'), dir, { recursive: true, filter: (s) => !s.includes('/dist') });
  writeFileSync(join(dir, 'manifest.yaml'), readFileSync(join(dir, 'manifest.yaml'), 'utf8').replace('version: 1.0.0', `version: ${version}`));
  if (extraPositive) writeFileSync(join(dir, 'src/index.ts'), readFileSync(join(dir, 'src/index.ts'), 'utf8').replace("'awesome',", `'awesome', '${extraPositive}',`));
  return (await buildPlugin(dir, {})).out;
}

test.before(() => {
  cpSync(join(ROOT, 'examples/sentiment-analyzer'), project, { recursive: true, filter: (s) => !s.includes('/dist') });
});

test('list with nothing installed says how to install', async () => {
  const r = await cli(['list']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^no plugins installed in .*plugins\ninstall one with: pocket-wit install/);
  assert.equal(JSON.parse((await cli(['list', '--json'])).stdout), []);
});

test('install from a project directory: shows nodes and permissions, records version and sha256', async () => {
  const r = await cli(['install', project, '--yes']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^installed sentiment-analyzer 1\.0\.0 → /);
  assert.match(r.stderr, /sentiment-analyzer 1\.0\.0: Text sentiment analysis.*\n  nodes: sentiment \(ai\)\n  permissions: 10MB 5s/);
  const entry = lock().plugins['sentiment-analyzer']!;
  assert.is(entry.version, '1.0.0');
  assert.is(entry.sha256, (await import('node:crypto')).createHash('sha256').update(readFileSync(join(plugins, entry.file))).digest('hex'));
});

test('install without --yes and without a terminal refuses, installing nothing', async () => {
  const r = await cli(['install', join(ROOT, 'test/fixtures/kitchen-sink')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /cannot ask without a terminal; pass --yes to confirm/);
  assert.not.ok('kitchen-sink' in lock().plugins);
});

test('install from a .wasm, under another name', async () => {
  const r = await cli(['install', await built('test/fixtures/kitchen-sink'), '--yes', '--name', 'sink']);
  assert.is(r.code, 0, r.stderr);
  assert.is(lock().plugins.sink!.version, '0.3.1');
});

test('pack (the built component inside), then install from the .tgz without building', async () => {
  const tgz = join(work, 'greeter.tgz');
  const greeter = join(work, 'greeter');
  cpSync(project, greeter, { recursive: true });
  writeFileSync(join(greeter, 'manifest.yaml'), readFileSync(join(greeter, 'manifest.yaml'), 'utf8').replace('name: sentiment-analyzer', 'name: packed-sentiment').replace('binary: dist/sentiment-analyzer.wasm', 'binary: dist/packed.wasm'));
  const p = await cli(['pack', greeter, '-o', tgz]);
  assert.is(p.code, 0, p.stderr);
  assert.match(p.stdout, /packed manifest\.yaml, plugin\.wasm, src → .*greeter\.tgz/);
  const r = await cli(['install', tgz, '--yes', '--name', 'packed']);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /bundling|componentizing/, 'the archive\'s component is installed as it is, never rebuilt');
  assert.is(lock().plugins.packed!.version, '1.0.0');
});

test('installing the same build again changes nothing; another version needs --force', async () => {
  const same = await cli(['install', project, '--yes']);
  assert.is(same.code, 0, same.stderr);
  assert.match(same.stdout, /sentiment-analyzer 1\.0\.0 is already installed \(same sha256\)/);
  const v2 = await variant('1.1.0');
  const refused = await cli(['install', v2, '--yes']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /error\[invalid-plugin\]: sentiment-analyzer is already installed \(version 1\.0\.0\); installing 1\.1\.0 from .* would replace it: pass --force to replace it/);
  assert.is(lock().plugins['sentiment-analyzer']!.version, '1.0.0');
  const forced = await cli(['install', v2, '--yes', '--force']);
  assert.is(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /replaced sentiment-analyzer 1\.1\.0 \(was 1\.0\.0\)/);
});

test('list: a table NAME VERSION NODES PERMISSIONS PATH, and --json', async () => {
  const r = await cli(['list']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^NAME +VERSION +NODES +PERMISSIONS +PATH$/);
  assert.equal(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 4)), [
    ['packed', '1.0.0', 'sentiment', '10MB 5s'],
    ['sentiment-analyzer', '1.1.0', 'sentiment', '10MB 5s'],
    ['sink', '0.3.1', 'identity,greet,phases,fail,clock,store,misuse,flaky,spin,patient', 'env:1 32MB 2s'],
  ]);
  const byNode = await cli(['list', '--node', 'greet']);
  assert.equal(byNode.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]), ['sink']);
  assert.match((await cli(['list', '--node', 'nosuch'])).stdout, /no installed plugin offers node type "nosuch" \(3 installed in /);
  const rows = JSON.parse((await cli(['list', '--json'])).stdout) as { name: string; nodes: string[]; summary: string; intact: boolean }[];
  assert.equal(rows.map((x) => [x.name, x.summary, x.intact]), [['packed', '10MB 5s', true], ['sentiment-analyzer', '10MB 5s', true], ['sink', 'env:1 32MB 2s', true]]);
});

test('info shows nodes with schemas and examples, permissions, world, size, sha256 and origin', async () => {
  const r = await cli(['info', 'sentiment-analyzer']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sentiment-analyzer 1\.1\.0 — Text sentiment analysis with configurable thresholds\n/, r.stdout + r.stderr);
  assert.match(r.stdout, /world: pocket:plugin@0\.2\.1 +engine: quickjs +size: [\d.]+ MB\n  sha256: [0-9a-f]{64}\n/);
  assert.match(r.stdout, /from: .*sentiment-1\.1\.0/);
  assert.match(r.stdout, /permissions \(10MB 5s\):\n  memory: 10MB\n  timeout: 5s\n  env: none\n  filesystem: none\n  network: none\n/);
  assert.match(r.stdout, /node sentiment \(ai\): Text sentiment analysis\n  config:\n    threshold\?: number = 0\.1 — /);
  assert.match(r.stdout, /  input:\n    text: string — The text to analyse\n    lang\?: string = "en"\n/);
  assert.match(r.stdout, /example positive — Strongly positive text routes to high-positive\n    input: \{"text":"This is amazing and wonderful!"\}\n    output: /);
  const j = JSON.parse((await cli(['info', 'sink', '--json'])).stdout) as { name: string; version: string; permissions: unknown; nodes: { type: string }[]; origin: string };
  assert.is(j.version, '0.3.1');
  assert.equal(j.permissions, { memory: '32MB', timeout: '2s', env: ['GREETING'] });
  assert.is(j.nodes.length, 10);
  const byPath = await cli(['info', project]);
  assert.is(byPath.code, 0, byPath.stderr);
  assert.match(byPath.stdout, /^sentiment-analyzer 1\.0\.0/);
  const missing = await cli(['info', 'nope']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /error\[not-found\]: no installed plugin named nope/);
});

test('installed plugins are found by flows; the same node type from two plugins, used unqualified, names both and how to qualify', async () => {
  const wf = join(ROOT, 'examples/workflows/review-pipeline.yaml');
  const r = await cli(['flow', wf, '--check']);
  assert.is(r.code, 1);
  assert.match(r.stderr + r.stdout, /node "sentiment": node type "sentiment" is offered by plugins packed-sentiment and sentiment-analyzer; write type: packed-sentiment\/sentiment \(or plugin: packed-sentiment\)/, r.stderr + r.stdout);
  const removed = await cli(['remove', 'packed', '--yes']);
  assert.is(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /^removed packed 1\.0\.0/);
  assert.not.ok(existsSync(join(plugins, 'packed')));
  assert.not.ok('packed' in lock().plugins);
  const ok = await cli(['flow', wf, '--input', '{"id":"1","text":"great"}', '--json']);
  assert.is(ok.code, 0, ok.stderr);
});

test('a workflow pinning a version range the installed plugin does not satisfy is refused', async () => {
  const pinned = join(work, 'pinned.yaml');
  const base = 'start: a\nnodes: [{ name: a, type: sentiment }]\n';
  writeFileSync(pinned, `name: pinned\nplugins: { sentiment-analyzer: "^2.0.0" }\n${base}`);
  const r = await cli(['flow', pinned, '--check']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /pinned\.yaml:2:\d+: error: the workflow requires plugin sentiment-analyzer \^2\.0\.0, but .* is version 1\.1\.0; install a matching version or change the range/, r.stderr);
  writeFileSync(pinned, `name: pinned\nplugins: { sentiment-analyzer: "~1.1.0" }\n${base}`);
  assert.is((await cli(['flow', pinned, '--check'])).code, 0);
  writeFileSync(pinned, `name: pinned\nplugins: { word-counter: "^1.0.0" }\n${base}`);
  const absent = await cli(['flow', pinned, '--check']);
  assert.match(absent.stderr, /requires plugin word-counter \^1\.0\.0, but no plugin of that name was found \(found: sentiment-analyzer@1\.1\.0, kitchen-sink@0\.3\.1\)/);
});

test('a tampered installed file is refused, naming the plugin and both hashes', async () => {
  const entry = lock().plugins.sink!;
  const file = join(plugins, entry.file);
  const original = readFileSync(file);
  appendFileSync(file, Buffer.from([0]));
  const r = await cli(['flow', join(ROOT, 'examples/workflows/review-pipeline.yaml'), '--check']);
  assert.is(r.code, 1);
  assert.match(r.stderr, new RegExp(`error\\[invalid-plugin\\]: installed plugin sink \\(.*sink\\.wasm\\) does not match its lock entry: expected sha256 ${entry.sha256}, found [0-9a-f]{64}`), r.stderr);
  const listed = JSON.parse((await cli(['list', '--json'])).stdout) as { name: string; intact: boolean }[];
  assert.is(listed.find((p) => p.name === 'sink')!.intact, false);
  assert.match((await cli(['list'])).stdout, /sink\.wasm \(MODIFIED since install\)/);
  writeFileSync(file, original);
});

test('remove refuses without a terminal unless --yes; unknown names are not-found', async () => {
  assert.is((await cli(['remove', 'sink'])).code, 2);
  assert.ok('sink' in lock().plugins);
  const r = await cli(['remove', 'ghost', '--yes']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[not-found\]: no installed plugin named ghost/);
});

test('validate: a good plugin passes; each kind of problem is reported with a fix', async () => {
  const good = await cli(['validate', project]);
  assert.is(good.code, 0, good.stderr);
  assert.match(good.stdout, /^ok: sentiment-analyzer 1\.0\.0 is valid \(1 node, 2 examples checked\)/);

  const cases: [string, (dir: string) => void, RegExp][] = [
    ['no-manifest', (d) => rmSync(join(d, 'manifest.yaml')), /problem \[structure\]: .* has no manifest\.yaml\n  fix: /],
    ['bad-manifest', (d) => writeFileSync(join(d, 'manifest.yaml'), 'name: Bad\nversion: x\n'), /problem \[manifest\]: name: "Bad" must be lowercase[\s\S]*problem \[manifest\]: version: "x" is not a semantic version/],
    ['no-source', (d) => rmSync(join(d, 'src'), { recursive: true }), /problem \[structure\]: .*has no sources pocket-wit recognizes: src\/index\.ts/],
    ['syntax', (d) => writeFileSync(join(d, 'src/index.ts'), 'export default {'), /problem \[build\]: bundling .* failed/],
    ['wrong-example', (d) => writeFileSync(join(d, 'manifest.yaml'), readFileSync(join(d, 'manifest.yaml'), 'utf8').replace('score: 1, confidence: 1', 'score: 0.5, confidence: 1')), /problem \[example\]: example "positive" of node sentiment produced \{"sentiment":"positive","score":1,.*but declares \{"sentiment":"positive","score":0\.5,/],
    ['failing-example', (d) => writeFileSync(join(d, 'manifest.yaml'), readFileSync(join(d, 'manifest.yaml'), 'utf8').replace('input: { text: "good but bad" }', 'input: { txt: "typo" }')), /problem \[example\]: example "mixed" of node sentiment failed: error\[invalid-input\] input: missing required field text/],
  ];
  for (const [name, breakIt, expected] of cases) {
    const dir = join(work, `validate-${name}`);
    cpSync(project, dir, { recursive: true, filter: (s) => !s.includes('/dist') });
    breakIt(dir);
    const r = await cli(['validate', dir]);
    assert.is(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, expected, `${name}: ${r.stdout}`);
    assert.match(r.stdout, /  fix: /);
  }
  const notWasm = join(work, 'not.wasm');
  writeFileSync(notWasm, 'text');
  const r = await cli(['validate', notWasm, '--json']);
  assert.is(r.code, 1);
  const report = JSON.parse(r.stdout.split('\n')[0]!) as { valid: boolean; problems: { check: string; message: string }[] };
  assert.is(report.valid, false);
  assert.is(report.problems[0]!.check, 'component');
  assert.match(report.problems[0]!.message, /not a WebAssembly file/);
});

test('pocket-wit test runs the declared examples as tests', async () => {
  const ok = await cli(['test', project]);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /✓ sentiment › positive \([\d.]+ ms\)\n✓ sentiment › mixed \([\d.]+ ms\)\nsentiment-analyzer: 2 passed, 0 failed\n/);
  const broken = join(work, 'validate-wrong-example');
  const bad = await cli(['test', broken]);
  assert.is(bad.code, 1);
  assert.match(bad.stdout, /✗ sentiment › positive .*\n    expected: .*"score":0\.5.*\n    actual:   .*"score":1/);
  assert.match(bad.stdout, /sentiment-analyzer: 1 passed, 1 failed/);
});

/** A batch flow in the background, with an empty plugin home so only `--plugins` is searched. */
function startBatch(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'flow', join(ROOT, 'examples/workflows/review-pipeline.yaml'), ...args], {
    env: { ...process.env, POCKET_HOME: tempDir('pocket-home-empty-'), POCKET_PLUGIN_PATH: '', POCKET_WIT_CACHE: CACHE_DIR, CI: '1' },
    cwd: tempDir(),
  });
  let stdout = '';
  let stderr = '';
  let done = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      done = true;
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  return {
    exited,
    async whenResults(out: string, count: number): Promise<void> {
      const deadline = Date.now() + 120_000;
      while (!(existsSync(out) && readFileSync(out, 'utf8').split('\n').length > count)) {
        if (done) assert.unreachable(`the batch ended before ${count} results: ${stderr}`);
        if (Date.now() > deadline) {
          child.kill();
          assert.unreachable(`no ${count} results within 2 minutes: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

test('hot reload during a running batch: later items use the new version, no item fails', async () => {
  const dir = join(work, 'hot');
  mkdirSync(dir);
  const v1 = await built('examples/sentiment-analyzer');
  const v2 = await variant('1.2.0', 'ok');
  // Transpile v2 once ahead (the CLI shares this cache), so the reload is quick next to the batch.
  await (await loadPlugin(v2, { cacheDir: CACHE_DIR, log: silentLogSink })).close();
  const file = join(dir, 'sentiment.wasm');
  copyFileSync(v1, file);
  const input = join(work, 'hot.jsonl');
  const out = join(work, 'hot-out.jsonl');
  writeFileSync(input, `${Array.from({ length: 6000 }, (_, i) => JSON.stringify({ id: `r${i}`, text: 'it is ok' })).join('\n')}\n`);
  const batch = startBatch(['--plugins', dir, '--batch', input, '--out', out, '--concurrency', '2', '--watch']);
  // Swap the component once a few hundred results are out: the batch is running on v1 by then.
  await batch.whenResults(out, 300);
  copyFileSync(v2, `${file}.tmp`);
  renameSync(`${file}.tmp`, file);
  const { code, stdout, stderr } = await batch.exited;
  assert.is(code, 0, stderr);
  assert.match(stdout, /batch: 6000 ok, 0 failed of 6000 inputs/);
  assert.match(stderr, /reloaded .*sentiment\.wasm: 1\.0\.0 \([0-9a-f]{12}\) → 1\.2\.0 \([0-9a-f]{12}\)/);
  const results = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; output: { sentiment: string } });
  assert.ok(results.every((r) => r.ok));
  const firstPositive = results.findIndex((r) => r.output.sentiment === 'positive');
  assert.ok(firstPositive > 300, `v1 served the first items (first v2 result at ${firstPositive})`);
  assert.is(results.at(-1)!.output.sentiment, 'positive', 'v2 serves the last items');
  assert.ok(results.slice(0, 300).every((r) => r.output.sentiment === 'neutral'));
});

test('a broken new version is refused with a warning and the old one keeps serving', async () => {
  const dir = join(work, 'hot-broken');
  mkdirSync(dir);
  const file = join(dir, 'sentiment.wasm');
  copyFileSync(await built('examples/sentiment-analyzer'), file);
  const input = join(work, 'broken.jsonl');
  const out = join(work, 'broken-out.jsonl');
  writeFileSync(input, `${Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: `r${i}`, text: 'great' })).join('\n')}\n`);
  const batch = startBatch(['--plugins', dir, '--batch', input, '--out', out, '--watch']);
  await batch.whenResults(out, 200);
  writeFileSync(`${file}.tmp`, 'not a component');
  renameSync(`${file}.tmp`, file);
  const { code, stderr } = await batch.exited;
  assert.is(code, 0, stderr);
  assert.match(stderr, /warning: the new version of .*sentiment\.wasm was refused, the previous one keeps serving: error\[invalid-plugin\]/);
  const results = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean });
  assert.is(results.length, 5000);
  assert.ok(results.every((r) => r.ok));
});

test.run();
