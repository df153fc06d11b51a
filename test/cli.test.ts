/** The real `pocket-wit` binary: build, run, errors, exit codes, --help and --version. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, tempDir } from './helpers.js';

const work = tempDir();
const project = join(work, 'sentiment-analyzer');
cpSync(join(ROOT, 'examples/sentiment-analyzer'), project, { recursive: true, filter: (src) => !src.includes(`${'/'}dist`) });
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

test('build writes the component to the manifest\'s binary path and prints its steps as plain lines', async () => {
  const r = await runCli(['build', project]);
  assert.is(r.code, 0, r.stderr);
  const out = join(project, 'dist/sentiment-analyzer.wasm');
  assert.ok(existsSync(out));
  assert.match(r.stdout, /built sentiment-analyzer@1\.0\.0 → .*sentiment-analyzer\.wasm \(quickjs, /);
  assert.match(r.stderr, /^reading project: done sentiment-analyzer@1\.0\.0/m);
  assert.match(r.stderr, /^componentizing with quickjs: done/m);
  assert.not.match(r.stderr, /\u001b\[/, 'no terminal escapes when not on a terminal');
});

test('build -o and --json', async () => {
  const out = join(work, 'custom.wasm');
  const r = await runCli(['build', project, '-o', out, '--json']);
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { out: string; engine: string; size: number; name: string };
  assert.is(summary.out, out);
  assert.is(summary.engine, 'quickjs');
  assert.is(summary.size, statSync(out).size);
});

test('run --json prints exactly {output, next}', async () => {
  const r = await runCli(['run', project, 'sentiment', '--input', '{"text":"This is amazing and wonderful!"}', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), { output: { sentiment: 'positive', score: 1, confidence: 1, keywords: ['amazing', 'wonderful'] }, next: 'high-positive' });
});

test('run takes --input and --config from @files, and a .wasm path', async () => {
  writeFileSync(join(work, 'input.json'), '{"text":"good good bad"}');
  writeFileSync(join(work, 'config.json'), '{"threshold":0.5}');
  const r = await runCli(['run', join(work, 'custom.wasm'), 'sentiment', '--input', `@${join(work, 'input.json')}`, '--config', `@${join(work, 'config.json')}`, '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).next, 'neutral');
});

test('run without --json prints the output, the next action and the store; logs go to stderr', async () => {
  const r = await runCli(['run', project, 'sentiment', '--input', '{"text":"sad"}', '--log-level', 'debug']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^output: \{\n  "sentiment": "negative"/);
  assert.match(r.stdout, /\nnext: high-negative\n/);
  assert.match(r.stdout, /store: \{\n  "sentiment:\d{4}-\d\d-\d\dT/);
  assert.match(r.stderr, /\[sentiment-analyzer\/sentiment\] debug: sentiment analysed \{"sentiment":"negative","score":-1\}/);
});

test('run rebuilds a project whose sources changed, and reuses a fresh build', async () => {
  const wasm = join(project, 'dist/sentiment-analyzer.wasm');
  const before = statSync(wasm).mtimeMs;
  const reuse = await runCli(['run', project, 'sentiment', '--input', '{"text":"ok"}', '--json']);
  assert.is(reuse.code, 0, reuse.stderr);
  assert.is(statSync(wasm).mtimeMs, before, 'an up-to-date build is reused');
  const src = join(project, 'src/index.ts');
  writeFileSync(src, readFileSync(src, 'utf8').replace("'awesome',", "'awesome', 'ok',"));
  const future = new Date(Date.now() + 5000);
  utimesSync(src, future, future);
  const rebuilt = await runCli(['run', project, 'sentiment', '--input', '{"text":"ok"}', '--json']);
  assert.is(rebuilt.code, 0, rebuilt.stderr);
  assert.match(rebuilt.stderr, /componentizing with quickjs: done/);
  assert.is(JSON.parse(rebuilt.stdout).output.sentiment, 'positive', 'the changed word list is in effect');
});

test('plugin errors: exit 1, error[code] on stderr, {"error"} on stdout with --json', async () => {
  const r = await runCli(['run', project, 'sentiment', '--input', '{"txt":"typo"}', '--json']);
  assert.is(r.code, 1);
  assert.equal(JSON.parse(r.stdout), { error: { code: 'invalid-input', message: 'input: missing required field text', node: 'sentiment', details: { field: 'input', problems: ['input: missing required field text'] } } });
  assert.match(r.stderr, /^error\[invalid-input\]: input: missing required field text$/m);
  const plain = await runCli(['run', project, 'nope']);
  assert.is(plain.code, 1);
  assert.is(plain.stdout, '');
  assert.match(plain.stderr, /^error\[not-found\]: plugin sentiment-analyzer has no node type "nope" \(it offers: sentiment\)/m, plain.stderr);
});

test('bad plugin paths and files are reported with a code', async () => {
  const missing = await runCli(['run', join(work, 'absent.wasm'), 'x', '--json']);
  assert.is(missing.code, 1);
  assert.is(JSON.parse(missing.stdout).error.code, 'not-found');
  writeFileSync(join(work, 'fake.wasm'), 'not wasm');
  const fake = await runCli(['run', join(work, 'fake.wasm'), 'x']);
  assert.is(fake.code, 1);
  assert.match(fake.stderr, /^error\[invalid-plugin\]: .*fake\.wasm is not a WebAssembly file/m);
  const noManifest = await runCli(['build', work]);
  assert.is(noManifest.code, 1);
  assert.match(noManifest.stderr, /error\[invalid-manifest\]: .* has no manifest\.yaml; create one .*tutorial in README\.md/);
});

test('usage errors exit 2 with a hint', async () => {
  const cases: [string[], RegExp][] = [
    [['run', project, 'sentiment', '--input', '{not json'], /--input is not valid JSON/],
    [['run', project, 'sentiment', '--config', '[1]'], /--config must be a JSON object/],
    [['run', project], /missing required args/i],
    [['build', project, '--engine', 'v8'], /--engine must be one of quickjs, starlingmonkey/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['run', project, 'sentiment', '--bogus'], /Unknown option `--bogus`/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^error\[usage\]: /m);
    assert.match(r.stderr, message);
  }
});

test('a broken manifest fails the build listing every problem', async () => {
  const broken = join(work, 'broken');
  cpSync(project, broken, { recursive: true });
  writeFileSync(join(broken, 'manifest.yaml'), 'name: Bad Name\nversion: one\npermissions:\n  memory: lots\n');
  const r = await runCli(['build', broken]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-manifest\]: .*manifest\.yaml has 3 problems:/);
  assert.match(r.stderr, /- name: "Bad Name" must be lowercase/);
  assert.match(r.stderr, /- version: "one" is not a semantic version/);
  assert.match(r.stderr, /- permissions\.memory: "lots" is not a size/);
});

test('a TypeScript error in the plugin fails the build with file and line', async () => {
  const broken = join(work, 'syntax');
  cpSync(project, broken, { recursive: true });
  writeFileSync(join(broken, 'src/index.ts'), "import { definePlugin } from 'pocket-wit/guest';\nexport default definePlugin({ nodes: [ }\n");
  const r = await runCli(['build', broken]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[build-failed\]: bundling .*index\.ts failed:\n  .*src\/index\.ts:2:\d+: /);
});

test('a default export that is not definePlugin(...) fails the build with the fix', async () => {
  const broken = join(work, 'no-plugin');
  cpSync(project, broken, { recursive: true });
  writeFileSync(join(broken, 'src/index.ts'), 'export default { nodes: [] };\n');
  const r = await runCli(['build', broken]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[build-failed\]: .*must be the result of definePlugin/);
});

test('a manifest listing a node type the code does not define fails the build', async () => {
  const broken = join(work, 'unknown-node');
  cpSync(project, broken, { recursive: true });
  const manifest = readFileSync(join(broken, 'manifest.yaml'), 'utf8').replace('  - type: sentiment\n', '  - type: sentimnet\n');
  writeFileSync(join(broken, 'manifest.yaml'), manifest);
  const r = await runCli(['build', broken]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[build-failed\]: .*manifest\.yaml lists node type "sentimnet", but src\/index\.ts defines no such node \(it defines: sentiment\)/);
});

test('--help and --version work for every command', async () => {
  for (const args of [['--help'], ['build', '--help'], ['run', '--help'], ['flow', '--help']]) {
    const r = await runCli(args);
    assert.is(r.code, 0, args.join(' '));
    assert.match(r.stdout, /Usage:/);
  }
  assert.match((await runCli(['run', '--help'])).stdout, /--input <json>/);
  for (const args of [['--version'], ['build', '--version'], ['run', '--version'], ['flow', '--version']]) {
    const r = await runCli(args);
    assert.is(r.code, 0);
    assert.match(r.stdout, new RegExp(`pocket-wit/${version.replace(/\./g, '\\.')}`));
  }
});

test.run();
