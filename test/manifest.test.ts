import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadPlugin,
  MAX_MEMORY_BYTES,
  MAX_TIMEOUT_MS,
  parseDuration,
  parseSize,
  readManifest,
  readPluginSection,
  resolvePermissions,
  resolvePolicy,
  validateManifest,
  writePluginSection,
  PluginError,
} from '../host/src/index.js';
import { buildPlugin } from '../tools/build/build.js';
import { CACHE_DIR, expectError, ROOT, runCli, tempDir } from './helpers.js';

function problems(value: unknown): string[] {
  try {
    validateManifest(value, 'manifest.yaml');
  } catch (err) {
    assert.instance(err, PluginError);
    assert.is((err as PluginError).code, 'invalid-manifest');
    return ((err as PluginError).details as { problems: string[] }).problems;
  }
  assert.unreachable('expected the manifest to be rejected');
  return [];
}

test('sizes and durations use the manifest units', () => {
  assert.is(parseSize('64MB'), 64 * 1024 * 1024);
  assert.is(parseSize('10 KB'), 10 * 1024);
  assert.is(parseSize('1GiB'), 1024 ** 3);
  assert.is(parseDuration('5s'), 5000);
  assert.is(parseDuration('200ms'), 200);
  assert.is(parseDuration('1.5s'), 1500);
  assert.is(parseDuration('2m'), 120_000);
  assert.throws(() => parseSize('lots'), /write a number with a unit/);
  assert.throws(() => parseDuration('5'), /for example "5s"/);
});

test('permissions default to 64MB and 5s with nothing else granted', () => {
  assert.equal(resolvePermissions(undefined), { memoryBytes: 64 * 1024 * 1024, timeoutMs: 5000, env: [], filesystem: [], network: [] });
  assert.equal(resolvePermissions({ memory: '10MB', env: ['A'] }).memoryBytes, 10 * 1024 * 1024);
});

test('size units are case-insensitive in manifests, as in parseSize', () => {
  assert.is(validateManifest({ name: 'x', version: '1.0.0', permissions: { memory: '10mb' } }).permissions?.memory, '10mb');
  assert.is(resolvePermissions({ memory: '10mb' }).memoryBytes, 10 * 1024 * 1024);
});

test('an unknown permission is reported once, naming the known ones', () => {
  const found = problems({ name: 'x', version: '1.0.0', permissions: { cpu: 2 } });
  assert.equal(found, ['permissions: unknown key "cpu" (known: memory, timeout, env, filesystem, network, storage)']);
});

test('every problem is reported at once, each naming its field', () => {
  const found = problems({ version: 'one', permissions: { memory: 'big', timeout: 'soon', disk: true } });
  assert.ok(found.some((p) => p.includes('missing required field') && p.includes('name')), found.join('\n'));
  assert.ok(found.some((p) => p.startsWith('version:') && p.includes('semantic version')), found.join('\n'));
  assert.ok(found.some((p) => p.startsWith('permissions.memory') && p.includes('"big"')), found.join('\n'));
  assert.ok(found.some((p) => p.startsWith('permissions.timeout') && p.includes('"soon"')), found.join('\n'));
  assert.ok(found.some((p) => p.includes('unknown key "disk"')), found.join('\n'));
});

test('a node entry needs type, category and description', () => {
  const found = problems({ name: 'x', version: '1.0.0', nodes: [{ type: 'a' }] });
  assert.ok(found.some((p) => p.startsWith('nodes.0') && p.includes('category')), found.join('\n'));
});

// ---- bounds: what the host can honour ----

const TIMEOUT_40000M =
  /permissions\.timeout: "40000m" is 2,400,000,000 ms, more than the longest timeout the host can keep, 2,147,483,647 ms \(about 24 days: Node's timers go no further\); use at most 35791m/;

test('bounds: a timeout past Node timers (2^31 - 1 ms) or a memory past wasm32 (4 GB) is a manifest problem naming the value, the maximum and the fix', () => {
  assert.is(MAX_TIMEOUT_MS, 2 ** 31 - 1);
  assert.is(MAX_MEMORY_BYTES, 4 * 1024 ** 3);
  const found = problems({ name: 'x', version: '1.0.0', permissions: { timeout: '40000m', memory: '5GB' } });
  assert.is(found.length, 2, found.join('\n'));
  assert.match(found.find((p) => p.startsWith('permissions.timeout'))!, TIMEOUT_40000M);
  assert.is(
    found.find((p) => p.startsWith('permissions.memory')),
    'permissions.memory: "5GB" is 5,368,709,120 bytes, more than a plugin\'s memory can be: 4 GB (4,294,967,296 bytes), all a wasm32 memory can address; use at most 4GB',
  );
  assert.match(problems({ name: 'x', version: '1.0.0', permissions: { timeout: '0s' } })[0]!, /permissions\.timeout: "0s" is 0 ms: every call would time out at once; use a positive duration/);
  assert.match(problems({ name: 'x', version: '1.0.0', permissions: { memory: '0MB' } })[0]!, /permissions\.memory: "0MB" is 0 bytes: no plugin can start with no memory/);
  // The largest values that work.
  validateManifest({ name: 'x', version: '1.0.0', permissions: { timeout: '35791m', memory: '4GB' } });
  assert.is(resolvePermissions({ timeout: '35791m', memory: '4GB' }).timeoutMs, 35791 * 60_000);
  // A malformed value is reported once, as malformed.
  assert.equal(problems({ name: 'x', version: '1.0.0', permissions: { timeout: '40000 minutes' } }), ['permissions.timeout: "40000 minutes" is not a duration; write for example "5s"']);
});

test('bounds: resolvePermissions and resolvePolicy (loadPlugin) refuse them too; so does a host grant', () => {
  assert.throws(() => resolvePermissions({ timeout: '40000m' }), (err: Error) => (err as PluginError).code === 'invalid-manifest' && TIMEOUT_40000M.test(err.message));
  assert.throws(
    () => resolvePolicy('big', { timeout: '40000m' }, { baseDir: ROOT }),
    (err: Error) => (err as PluginError).code === 'invalid-manifest' && err.message.startsWith('big: its permissions are invalid: permissions.timeout: "40000m"'),
  );
  const grant = (permissions: { timeout?: number | string; memory?: number | string }): PluginError => {
    try {
      resolvePolicy('p', undefined, { baseDir: ROOT, grant: permissions });
    } catch (err) {
      return err as PluginError;
    }
    throw new Error('expected a refusal');
  };
  let err = grant({ timeout: 2_400_000_000 });
  assert.is(err.code, 'invalid-input');
  assert.match(err.message, /^the host's grant of permissions\.timeout is 2,400,000,000 ms, more than the longest timeout the host can keep, 2,147,483,647 ms .*; use at most 35791m$/);
  err = grant({ timeout: '40000m' });
  assert.match(err.message, /^the host's grant of permissions\.timeout "40000m" is 2,400,000,000 ms/);
  err = grant({ memory: '8GB' });
  assert.is(err.code, 'invalid-input');
  assert.match(err.message, /^the host's grant of permissions\.memory "8GB" is 8,589,934,592 bytes, more than a plugin's memory can be: 4 GB .*; use at most 4GB$/);
  assert.match(grant({ memory: 0 }).message, /^the host's grant of permissions\.memory is 0 bytes: no plugin can start with no memory/);
  // In bounds, a grant narrows as before.
  assert.is(resolvePolicy('p', undefined, { baseDir: ROOT, grant: { timeout: MAX_TIMEOUT_MS, memory: '4GB' } }).timeoutMs, 5000);
});

test('bounds, for real: pocket-wit run --timeout 40000m, a project whose manifest asks 40000m, a component carrying it: each a clear refusal', async () => {
  const flag = await runCli(['run', 'examples/c-word-stats', 'word-stats', '--input', '{"text":"a b"}', '--timeout', '40000m']);
  assert.is(flag.code, 2, flag.stderr);
  assert.match(flag.stderr, /--timeout 40000m is 2,400,000,000 ms, more than the longest timeout the host can keep, 2,147,483,647 ms \(about 24 days: Node's timers go no further\); use at most 35791m/);
  const memory = await runCli(['run', 'examples/c-word-stats', 'word-stats', '--input', '{"text":"a b"}', '--memory', '16GB']);
  assert.is(memory.code, 2, memory.stderr);
  assert.match(memory.stderr, /--memory 16GB is 17,179,869,184 bytes, more than a plugin's memory can be: 4 GB/);

  // A project asking for it: refused when it is built (run builds it), before anything runs.
  const dir = join(tempDir('pocket-wit-bounds-'), 'c-word-stats');
  cpSync(join(ROOT, 'examples/c-word-stats'), dir, { recursive: true, filter: (src) => !/[\\/]dist$/.test(src) });
  const manifest = readFileSync(join(dir, 'manifest.yaml'), 'utf8');
  writeFileSync(join(dir, 'manifest.yaml'), manifest.replace('timeout: 2s', 'timeout: 40000m'));
  const run = await runCli(['run', dir, 'word-stats', '--input', '{"text":"a b"}']);
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stderr, /error\[invalid-manifest\]/);
  assert.match(run.stderr, TIMEOUT_40000M);
  assert.not.match(run.stderr, /TimeoutOverflowWarning/);

  // A component built before the bound, carrying `timeout: 40000m` in its section: refused at load.
  writeFileSync(join(dir, 'manifest.yaml'), manifest);
  const { bytes } = await buildPlugin(dir, { out: join(dir, 'dist', 'ok.wasm') });
  const section = readPluginSection(bytes)!;
  const old = writePluginSection(bytes, { ...section, manifest: { ...section.manifest, permissions: { ...section.manifest.permissions, timeout: '40000m' } } });
  writeFileSync(join(dir, 'dist', 'old.wasm'), old);
  const err = await expectError(loadPlugin(old, { cacheDir: CACHE_DIR }), 'invalid-manifest', TIMEOUT_40000M);
  assert.match(err.message, /embedded manifest/);
  const cli = await runCli(['run', join(dir, 'dist', 'old.wasm'), 'word-stats', '--input', '{"text":"a b"}']);
  assert.is(cli.code, 1, cli.stderr);
  assert.match(cli.stderr, TIMEOUT_40000M);
  assert.not.match(cli.stderr, /TimeoutOverflowWarning/);
});

test('readManifest reads YAML and JSON and reports syntax errors with the file', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'manifest.yaml'), 'name: ok\nversion: 1.0.0\npermissions:\n  timeout: 3s\n');
  assert.is(readManifest(join(dir, 'manifest.yaml')).permissions?.timeout, '3s');
  mkdirSync(join(dir, 'j'));
  writeFileSync(join(dir, 'j', 'manifest.json'), '{"name":"ok","version":"1.0.0"}');
  assert.is(readManifest(join(dir, 'j', 'manifest.json')).name, 'ok');
  writeFileSync(join(dir, 'bad.yaml'), 'name: [unclosed\n');
  assert.throws(() => readManifest(join(dir, 'bad.yaml')), (err: Error) => (err as PluginError).code === 'invalid-manifest' && err.message.includes('bad.yaml is not valid YAML'));
});

test.run();
