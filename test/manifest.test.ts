import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration, parseSize, readManifest, resolvePermissions, validateManifest, PluginError } from '../host/src/index.js';
import { tempDir } from './helpers.js';

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
  assert.equal(found, ['permissions: unknown field cpu (known: memory, timeout, env, filesystem, network)']);
});

test('every problem is reported at once, each naming its field', () => {
  const found = problems({ version: 'one', permissions: { memory: 'big', timeout: 'soon', disk: true } });
  assert.ok(found.some((p) => p.includes('missing required field') && p.includes('name')), found.join('\n'));
  assert.ok(found.some((p) => p.startsWith('version:') && p.includes('semantic version')), found.join('\n'));
  assert.ok(found.some((p) => p.startsWith('permissions.memory') && p.includes('"big"')), found.join('\n'));
  assert.ok(found.some((p) => p.startsWith('permissions.timeout') && p.includes('"soon"')), found.join('\n'));
  assert.ok(found.some((p) => p.includes('unknown field disk')), found.join('\n'));
});

test('a node entry needs type, category and description', () => {
  const found = problems({ name: 'x', version: '1.0.0', nodes: [{ type: 'a' }] });
  assert.ok(found.some((p) => p.startsWith('nodes.0') && p.includes('category')), found.join('\n'));
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
