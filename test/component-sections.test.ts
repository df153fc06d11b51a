import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendCustomSection, binaryKind, readCustomSections } from '../host/src/component-sections.js';
import { readPluginSection, writePluginSection } from '../host/src/plugin-section.js';
import { PluginError } from '../host/src/errors.js';

const componentHeader = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
const moduleHeader = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

test('binaryKind tells components, core modules and other files apart', () => {
  assert.is(binaryKind(componentHeader), 'component');
  assert.is(binaryKind(moduleHeader), 'core-module');
  assert.is(binaryKind(new TextEncoder().encode('{"not":"wasm"}')), 'not-wasm');
  assert.is(binaryKind(new Uint8Array([0, 0x61])), 'not-wasm');
});

test('custom sections round-trip, including payloads over 127 bytes (multi-byte LEB sizes)', () => {
  const big = new Uint8Array(300).map((_, i) => i % 251);
  let bytes = appendCustomSection(componentHeader, 'first', new TextEncoder().encode('one'));
  bytes = appendCustomSection(bytes, 'second', big);
  const sections = readCustomSections(bytes);
  assert.equal([...sections.keys()], ['first', 'second']);
  assert.is(new TextDecoder().decode(sections.get('first')), 'one');
  assert.equal([...sections.get('second')!], [...big]);
});

test('a truncated section is reported, not misread', () => {
  const bytes = appendCustomSection(componentHeader, 'x', new Uint8Array(10));
  assert.throws(() => readCustomSections(bytes.subarray(0, bytes.length - 3)), /past the end/);
});

test('the plugin section carries the manifest and is validated on read', () => {
  const manifest = { name: 'demo', version: '1.2.3', permissions: { memory: '8MB' } };
  const bytes = writePluginSection(componentHeader, { format: 1, world: 'pocket:plugin@0.1.0', engine: 'quickjs', manifest });
  const section = readPluginSection(bytes);
  assert.equal(section, { format: 1, world: 'pocket:plugin@0.1.0', engine: 'quickjs', manifest });
  assert.is(readPluginSection(componentHeader), undefined);
  const broken = appendCustomSection(componentHeader, 'pocket-wit:plugin', new TextEncoder().encode('{nope'));
  try {
    readPluginSection(broken, 'x.wasm');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, PluginError);
    assert.is((err as PluginError).code, 'invalid-plugin');
    assert.match((err as PluginError).message, /x\.wasm: the pocket-wit:plugin section is not valid JSON/);
  }
});

test.run();
