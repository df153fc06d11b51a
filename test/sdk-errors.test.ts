/**
 * Required node fields and errors that keep their context (issue #17), through the real CLI and
 * real builds: a node definition without a category is refused by `pocket-wit build` with
 * `invalid-plugin` naming the node and the field (never a wasm trap), in TypeScript, Rust and C
 * (Go and C nodes listed in manifest.yaml are refused by the manifest check); a plugin's error
 * names its node and phase, `--verbose` adds the guest's stack, `--json` carries them; batch and
 * test summaries keep the failures' own code; `run` without `--input` says how to give one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { built, runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-sdk-errors-');
let errorsWasm = '';

test.before(async () => {
  try {
    errorsWasm = await built('test/fixtures/errors-ts');
  } catch (err) {
    console.error('building test/fixtures/errors-ts failed:', err);
    throw err;
  }
});

/** `pocket-wit build` of a fixture fails with invalid-plugin naming the node and the missing category, without a trap. */
async function refusesMissingCategory(fixture: string, plugin: string): Promise<void> {
  const r = await runCli(['build', `test/fixtures/${fixture}`, '--out', join(tempDir(), 'out.wasm')]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`error\\[invalid-plugin\\]: ${plugin}: node "hello": category is missing: add category: '[^']+' to the node definition`));
  assert.not.match(r.stderr, /unreachable|wasm trap/);
}

test('TypeScript: a node without a category fails the build with invalid-plugin, not a trap', async () => {
  await refusesMissingCategory('missing-category-ts', 'missing-category-ts');
});

test('Rust: a node with an empty category fails the build with invalid-plugin', async () => {
  await refusesMissingCategory('missing-category-rust', 'missing-category-rust');
});

const CLANG = '/usr/bin/clang-14';
test('C: a node defined in pp_metadata with an empty category fails the build with invalid-plugin', async () => {
  if (!existsSync(CLANG)) {
    console.warn(`  (skipped: ${CLANG} is not installed; C plugins cannot be built here)`);
    return;
  }
  await refusesMissingCategory('missing-category-c', 'missing-category-c');
});

test('Go (and C): a manifest.yaml node entry without a category is refused before any compiler runs', async () => {
  const r = await runCli(['build', 'test/fixtures/missing-category-go', '--out', join(tempDir(), 'out.wasm')]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error\[invalid-manifest\]: .*missing-category-go\/manifest\.yaml/);
  assert.match(r.stderr, /nodes\.0 \(node "[^"]+"\): missing required field category: add category: text .* to the entry/);
  assert.not.match(r.stderr, /unreachable|wasm trap/);
});

test('a thrown error names the node and the phase; --verbose adds the guest stack; --json carries both', async () => {
  const input = ['--input', '{"id":"c1"}'];
  const plain = await runCli(['run', errorsWasm, 'greet', ...input]);
  assert.is(plain.code, 1);
  assert.match(plain.stderr, /^error\[plugin-error\]: node greet, exec: database exploded \(db:\/\/customers\/c1\)$/m);
  assert.not.match(plain.stderr, /loadCustomer/, 'no stack without --verbose');
  assert.match(plain.stderr, /--verbose/, 'it says how to see the stack');

  const verbose = await runCli(['run', errorsWasm, 'greet', ...input, '--verbose']);
  assert.is(verbose.code, 1);
  assert.match(verbose.stderr, /^error\[plugin-error\]: node greet, exec: database exploded/m);
  assert.match(verbose.stderr, /guest stack:\n\s+at connectToDatabase .*\n\s+at loadCustomer .*\n\s+at greetCustomer /);

  const debug = await runCli(['run', errorsWasm, 'greet', ...input, '--log-level', 'debug']);
  assert.match(debug.stderr, /at loadCustomer/, '--log-level debug shows the stack too');

  const json = await runCli(['run', errorsWasm, 'greet', ...input, '--json']);
  assert.is(json.code, 1);
  const { error } = JSON.parse(json.stdout) as { error: { code: string; message: string; node: string; phase: string; guestStack: string; details?: unknown } };
  assert.is(error.code, 'plugin-error');
  assert.is(error.message, 'database exploded (db://customers/c1)');
  assert.is(error.node, 'greet');
  assert.is(error.phase, 'exec');
  assert.match(error.guestStack, /at greetCustomer/);
  assert.is(error.details, undefined, 'the stack is taken out of the details');
});

test('run without --input says the node needs one and how to give it', async () => {
  const r = await runCli(['run', errorsWasm, 'greet']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /node "greet" needs an input \(its input schema requires id\): pass --input '\{"id":"…"\}' or --input @input\.json/);
  assert.not.match(r.stderr, /must be object/);
});

test('flow --batch: the summary reports a batch of timeouts as error[timeout], mixed failures by code', async () => {
  const plugins = join(work, 'plugins');
  mkdirSync(plugins, { recursive: true });
  copyFileSync(errorsWasm, join(plugins, 'errors-ts.wasm'));
  const wf = join(work, 'spin.yaml');
  writeFileSync(wf, 'name: spin\nversion: 1.0.0\nstart: spin\nnodes:\n  - name: spin\n    type: spin\n');
  const batch = join(work, 'batch.jsonl');
  writeFileSync(batch, '{"spin":false}\n{"spin":true}\n');
  const r = await runCli(['flow', wf, '--plugins', plugins, '--batch', batch, '--out', join(work, 'out.jsonl'), '--timeout', '300ms']);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stdout, /batch: 1 ok, 1 failed of 2 inputs/);
  assert.match(r.stderr, /^error\[timeout\]: 1 of 2 inputs failed; each failure is recorded in /m);
  assert.not.match(r.stderr, /error\[plugin-error\]/);

  writeFileSync(batch, '{"spin":true}\nnot json\n{"spin":false}\n');
  const mixed = await runCli(['flow', wf, '--plugins', plugins, '--batch', batch, '--out', join(work, 'out2.jsonl'), '--timeout', '300ms']);
  assert.is(mixed.code, 1, mixed.stderr);
  assert.match(mixed.stderr, /^error\[plugin-error\]: 2 of 3 inputs failed \((1 error\[timeout\], 1 error\[invalid-input\]|1 error\[invalid-input\], 1 error\[timeout\])\); each failure/m);
});

test.run();
