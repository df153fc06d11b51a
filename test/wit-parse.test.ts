/**
 * The WIT parser and resolver (tools/wit/{lexer,parse,resolve,load}.ts) against real WIT: every
 * WASI package jco ships, the project's own `wit/` folders, hand-written grammar samples and
 * broken inputs with their exact `file:line:col` messages. Everything that parses and has a world
 * is cross-checked with the real wasm-tools inside jco (`componentEmbed`), including that both
 * see the same imports and exports after `include` expansion and implicit imports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentEmbed, componentNew, componentWit } from '@bytecodealliance/jco';
import { isPluginError } from '../host/src/errors.js';
import { witSource } from '../host/src/wit-world.js';
import { loadWitPath, parseWitSource } from '../tools/wit/load.js';
import type { Func, Interface, Package, TypeDef, WitResolve, WitType, World } from '../tools/wit/model.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILTIN = join(ROOT, 'node_modules/@bytecodealliance/jco/lib/wit/builtin');
const WASI_VERSIONS = ['0.2.10', '0.2.12', '0.3.0'];

// ---- helpers ----

/** Loads one package folder of a jco WASI version folder with all its siblings as dependencies. */
function loadWasi(version: string, name: string): Promise<WitResolve> {
  const dir = join(BUILTIN, version);
  const siblings = readdirSync(dir).filter((d) => d !== name).map((d) => join(dir, d));
  return loadWitPath(join(dir, name), { deps: siblings, allFeatures: true });
}

/** One text with `main` first and every sibling package as a nested `package x { ... }` block. */
function wasiText(version: string, name: string): string {
  const dir = join(BUILTIN, version);
  const read = (d: string): string => readFileSync(join(dir, d, 'package.wit'), 'utf8');
  const nest = (text: string): string => {
    const header = /^package\s+([^;\s]+)\s*;/m.exec(text);
    if (!header) throw new Error('no package line');
    return `package ${header[1]} {\n${text.slice(0, header.index)}${text.slice(header.index + header[0].length)}\n}\n`;
  };
  return [read(name), ...readdirSync(dir).filter((d) => d !== name).map((d) => nest(read(d)))].join('\n');
}

function pkg(r: WitResolve, key: string): Package {
  const found = r.packages.get(key);
  if (!found) throw new Error(`no package ${key} in ${[...r.packages.keys()].join(', ')}`);
  return found;
}

function iface(r: WitResolve, key: string, name: string): Interface {
  const found = pkg(r, key).interfaces.get(name);
  if (!found) throw new Error(`no interface ${name} in ${key}`);
  return found;
}

function world(r: WitResolve, key: string, name: string): World {
  const found = pkg(r, key).worlds.get(name);
  if (!found) throw new Error(`no world ${name} in ${key}`);
  return found;
}

function typeDef(i: Interface, name: string): TypeDef {
  const found = i.types.get(name);
  if (!found) throw new Error(`no type ${name} in ${i.name}`);
  return found;
}

function resource(i: Interface, name: string): Extract<TypeDef, { kind: 'resource' }> {
  const def = typeDef(i, name);
  if (def.kind !== 'resource') throw new Error(`${name} is a ${def.kind}`);
  return def;
}

function named(type: WitType | undefined): { package: string; owner: string; name: string } {
  if (type?.kind !== 'named') throw new Error(`not a named type: ${JSON.stringify(type)}`);
  const p = type.ref.owner.package;
  return { package: `${p.namespace}:${p.name}@${p.version}`, owner: type.ref.owner.interface ?? `world ${type.ref.owner.world}`, name: type.ref.name };
}

/** The error message of a call that must fail with a PluginError of `code`. */
async function failure(run: () => unknown, code = 'invalid-wit'): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.ok(isPluginError(error), `not a PluginError: ${String(error)}`);
    assert.is((error as { code: string }).code, code, (error as Error).message);
    return (error as Error).message;
  }
  assert.unreachable('expected a failure');
  return '';
}

/** Imports and exports of a world as wasm-tools elaborates it (unversioned names, types left out). */
async function wasmToolsWorld(text: string, worldName: string): Promise<{ imports: string[]; exports: string[] }> {
  const core = await componentEmbed({ witSource: text, dummy: true, world: worldName, features: { tag: 'all' } });
  const lines = (await componentWit(await componentNew(core))).split('\n').map((l) => l.trim());
  const names = (keyword: string): string[] =>
    lines.filter((l) => l.startsWith(`${keyword} `)).map((l) => (l.slice(keyword.length + 1).replace(/;$/, '').split(': ')[0] ?? '').replace(/@.*$/, '')).sort();
  return { imports: names('import'), exports: names('export') };
}

function ourWorld(w: World): { imports: string[]; exports: string[] } {
  const keys = (m: Map<string, { kind: string }>): string[] => [...m].filter(([, item]) => item.kind !== 'type').map(([k]) => k).sort();
  return { imports: keys(w.imports), exports: keys(w.exports) };
}

/** wasm-tools must accept every world of the main package, and see the same imports and exports. */
async function crossCheck(text: string, r: WitResolve): Promise<number> {
  for (const w of r.main.worlds.values()) assert.equal(ourWorld(w), await wasmToolsWorld(text, w.name), `world ${w.name}`);
  return r.main.worlds.size;
}

async function wasmToolsRejects(text: string): Promise<string | undefined> {
  try {
    await componentEmbed({ witSource: text, dummy: true, world: 'w' });
    return undefined;
  } catch (error) {
    return String((error as Error).message ?? error);
  }
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pocket-wit-parse-'));
}

// ---- 1. every WASI package jco ships ----

test('every WASI package folder jco ships parses with its siblings as deps', async () => {
  let count = 0;
  for (const version of WASI_VERSIONS) {
    for (const name of readdirSync(join(BUILTIN, version))) {
      const r = await loadWasi(version, name);
      assert.is(r.main.id.namespace, 'wasi');
      assert.is(r.main.id.version, version);
      assert.ok(r.main.interfaces.size > 0, `${version}/${name} has interfaces`);
      count++;
    }
  }
  assert.is(count, 16);
});

test('wasi:http/types: resource `fields` has a constructor, a static `from-list` and methods', async () => {
  const r = await loadWasi('0.2.12', 'wasi-http');
  const types = iface(r, 'wasi:http@0.2.12', 'types');
  const fields = resource(types, 'fields');
  assert.equal(fields.constructor, { name: 'constructor', params: [] });
  const fromList = fields.statics.find((f) => f.name === 'from-list') as Func;
  assert.equal(fromList.params.map((p) => p.name), ['entries']);
  assert.equal(fromList.params[0]?.type, {
    kind: 'list',
    element: { kind: 'tuple', items: [{ kind: 'named', ref: { owner: { package: r.main.id, interface: 'types' }, name: 'field-name' } }, { kind: 'named', ref: { owner: { package: r.main.id, interface: 'types' }, name: 'field-value' } }] },
  });
  const result = fromList.result;
  assert.is(result?.kind, 'result');
  if (result?.kind === 'result') {
    assert.equal(named(result.ok), { package: 'wasi:http@0.2.12', owner: 'types', name: 'fields' });
    assert.equal(named(result.err), { package: 'wasi:http@0.2.12', owner: 'types', name: 'header-error' });
  }
  assert.ok(fields.methods.some((m) => m.name === 'append'));
  assert.ok(!fields.methods.some((m) => m.name === 'from-list'));
  // `use wasi:io/error@0.2.12.{error as io-error}` points at the definition in wasi:io/error.
  assert.equal(typeDef(types, 'io-error'), { kind: 'use', target: { owner: { package: pkg(r, 'wasi:io@0.2.12').id, interface: 'error' }, name: 'error' } });
  // `%stream` is the name `stream`.
  assert.ok(resource(types, 'incoming-body').methods.some((m) => m.name === 'stream'));
});

test('wasi:filesystem/types: descriptor-flags is a flags type with `read` first', async () => {
  const r = await loadWasi('0.2.12', 'wasi-filesystem');
  const flags = typeDef(iface(r, 'wasi:filesystem@0.2.12', 'types'), 'descriptor-flags');
  assert.is(flags.kind, 'flags');
  if (flags.kind === 'flags') {
    assert.is(flags.flags[0], 'read');
    assert.equal(flags.flags.slice(0, 2), ['read', 'write']);
  }
  const stat = typeDef(iface(r, 'wasi:filesystem@0.2.12', 'types'), 'descriptor-stat');
  assert.equal(stat.kind === 'record' && stat.fields[0], { name: 'type', type: { kind: 'named', ref: { owner: { package: r.main.id, interface: 'types' }, name: 'descriptor-type' } } });
});

test('wasi:cli/command includes the imports of wasi:cli/imports (and what those include)', async () => {
  const r = await loadWasi('0.2.12', 'wasi-cli');
  const command = world(r, 'wasi:cli@0.2.12', 'command');
  const imports = world(r, 'wasi:cli@0.2.12', 'imports');
  for (const key of imports.imports.keys()) assert.ok(command.imports.has(key), `command imports ${key}`);
  for (const key of ['wasi:cli/environment', 'wasi:cli/stdout', 'wasi:filesystem/preopens', 'wasi:io/streams', 'wasi:sockets/tcp', 'wasi:random/random', 'wasi:clocks/wall-clock']) {
    assert.ok(command.imports.has(key), key);
  }
  assert.equal([...command.exports.keys()], ['wasi:cli/run']);
  assert.equal(command.imports.get('wasi:io/streams'), { kind: 'interface', ref: { package: pkg(r, 'wasi:io@0.2.12').id, interface: 'streams' } });
  // An interface comes after the interfaces it uses (implicit imports are added first).
  const order = [...command.imports.keys()];
  assert.ok(order.indexOf('wasi:io/error') < order.indexOf('wasi:io/streams'));
  assert.ok(order.indexOf('wasi:io/streams') < order.indexOf('wasi:filesystem/types'));
});

test('wasi:io/streams: input-stream.read returns result<list<u8>, stream-error> resolved to its definition', async () => {
  const r = await loadWasi('0.2.12', 'wasi-io');
  const streams = iface(r, 'wasi:io@0.2.12', 'streams');
  const read = resource(streams, 'input-stream').methods.find((m) => m.name === 'read') as Func;
  assert.equal(read.params, [{ name: 'len', type: { kind: 'primitive', name: 'u64' } }]);
  assert.equal(read.result, {
    kind: 'result',
    ok: { kind: 'list', element: { kind: 'primitive', name: 'u8' } },
    err: { kind: 'named', ref: { owner: { package: r.main.id, interface: 'streams' }, name: 'stream-error' } },
  });
  const streamError = typeDef(streams, 'stream-error');
  assert.equal(streamError, {
    kind: 'variant',
    cases: [{ name: 'last-operation-failed', type: { kind: 'named', ref: { owner: { package: r.main.id, interface: 'error' }, name: 'error' } } }, { name: 'closed' }],
  });
  assert.equal(typeDef(streams, 'pollable'), { kind: 'use', target: { owner: { package: r.main.id, interface: 'poll' }, name: 'pollable' } });
  const poll = iface(r, 'wasi:io@0.2.12', 'poll').functions.get('poll') as Func;
  assert.equal(poll.params[0]?.type, { kind: 'list', element: { kind: 'borrow', resource: { owner: { package: r.main.id, interface: 'poll' }, name: 'pollable' } } });
});

test('wasi 0.3.0: async functions, stream<u8> and future<result<...>>', async () => {
  const r = await loadWasi('0.3.0', 'wasi-http');
  const handle = iface(r, 'wasi:http@0.3.0', 'handler').functions.get('handle') as Func;
  assert.is(handle.async, true);
  const request = resource(iface(r, 'wasi:http@0.3.0', 'types'), 'request');
  const consume = request.statics.find((f) => f.name === 'consume-body') as Func;
  const tuple = consume.result;
  assert.is(tuple?.kind, 'tuple');
  if (tuple?.kind === 'tuple') {
    assert.equal(tuple.items[0], { kind: 'stream', inner: { kind: 'primitive', name: 'u8' } });
    assert.is(tuple.items[1]?.kind, 'future');
  }
  assert.equal([...world(r, 'wasi:http@0.3.0', 'middleware').exports.keys()], ['wasi:http/handler']);
  assert.ok(world(r, 'wasi:http@0.3.0', 'middleware').imports.has('wasi:http/handler'));
});

test('wasi-tls draft: a real deps/ folder, and an identical duplicate dependency is accepted', async () => {
  const tls = join(BUILTIN, 'wasi-tls-0.2.0-draft');
  const r = await loadWitPath(tls);
  assert.equal([...r.packages.keys()], ['wasi:tls@0.2.0-draft', 'wasi:io@0.2.12']);
  const types = iface(r, 'wasi:tls@0.2.0-draft', 'types');
  const handshake = resource(types, 'client-handshake');
  assert.equal(handshake.constructor?.params.map((p) => p.name), ['server-name', 'input', 'output']);
  assert.equal(handshake.statics.map((f) => f.name), ['finish']);
  assert.equal(named(handshake.constructor?.params[1]?.type), { package: 'wasi:io@0.2.12', owner: 'streams', name: 'input-stream' });
  // Functions and `use` can be interleaved; source order is kept.
  assert.equal([...types.types.keys()].slice(0, 4), ['input-stream', 'output-stream', 'pollable', 'io-error']);
  const again = await loadWitPath(tls, { deps: [join(BUILTIN, '0.2.12', 'wasi-io')] });
  assert.is(again.packages.size, 2);
});

test('jco:node: 21 files of one package, using wasi:tls and wasi:io', async () => {
  const r = await loadWitPath(join(BUILTIN, 'jco-node-0.1.0'), { deps: [join(BUILTIN, 'wasi-tls-0.2.0-draft'), join(BUILTIN, '0.2.12', 'wasi-io')] });
  assert.is(r.main.id.name, 'node');
  assert.ok(r.main.interfaces.size >= 21);
  assert.equal(typeDef(iface(r, 'jco:node@0.1.0', 'tls'), 'future-client-streams'), {
    kind: 'use',
    target: { owner: { package: pkg(r, 'wasi:tls@0.2.0-draft').id, interface: 'types' }, name: 'future-client-streams' },
  });
  assert.equal(typeDef(iface(r, 'jco:node@0.1.0', 'wasi'), 'env-vars'), { kind: 'use', target: { owner: { package: r.main.id, interface: 'types' }, name: 'env-vars' } });
});

// ---- 2. the project's own WIT ----

test('wit/v0.1.0: world plugin imports host, exports node; log params; node uses types', async () => {
  const r = await loadWitPath(join(ROOT, 'wit/v0.1.0'));
  assert.equal(r.main.id, { namespace: 'pocket', name: 'plugin', version: '0.1.0' });
  assert.equal([...r.main.interfaces.keys()], ['host', 'node', 'types']);
  const plugin = world(r, 'pocket:plugin@0.1.0', 'plugin');
  assert.equal(plugin.imports.get('pocket:plugin/host'), { kind: 'interface', ref: { package: r.main.id, interface: 'host' } });
  assert.equal([...plugin.exports.keys()], ['pocket:plugin/node']);
  // `types` is imported implicitly: host and node use it.
  assert.equal([...plugin.imports.keys()], ['pocket:plugin/types', 'pocket:plugin/host']);

  const host = iface(r, 'pocket:plugin@0.1.0', 'host');
  const log = host.functions.get('log') as Func;
  const types = { package: r.main.id, interface: 'types' };
  assert.equal(log, {
    name: 'log',
    params: [
      { name: 'level', type: { kind: 'named', ref: { owner: { package: r.main.id, interface: 'host' }, name: 'log-level' } } },
      { name: 'message', type: { kind: 'primitive', name: 'string' } },
      { name: 'fields', type: { kind: 'option', inner: { kind: 'named', ref: { owner: types, name: 'json' } } } },
    ],
  });
  assert.equal(typeDef(host, 'log-level'), { kind: 'enum', cases: ['debug', 'info', 'warn', 'error'] });

  const node = iface(r, 'pocket:plugin@0.1.0', 'node');
  for (const name of ['json', 'node-error', 'plugin-metadata', 'post-result']) assert.equal(typeDef(node, name), { kind: 'use', target: { owner: types, name } });
  const prep = node.functions.get('prep') as Func;
  assert.equal(prep.result, { kind: 'result', ok: { kind: 'named', ref: { owner: types, name: 'json' } }, err: { kind: 'named', ref: { owner: types, name: 'node-error' } } });
  assert.equal(typeDef(iface(r, 'pocket:plugin@0.1.0', 'types'), 'json'), { kind: 'alias', target: { kind: 'primitive', name: 'string' } });
});

test('every wit/v* folder loads, and wasm-tools sees the same world', async () => {
  const versions = readdirSync(join(ROOT, 'wit')).filter((d) => d.startsWith('v'));
  assert.ok(versions.length >= 1);
  for (const dir of versions) {
    const version = dir.slice(1);
    const r = await loadWitPath(join(ROOT, 'wit', dir));
    assert.is(r.main.id.version, version);
    const text = witSource(version);
    assert.equal(ourWorld(world(parseWitSource(text), `pocket:plugin@${version}`, 'plugin')), ourWorld(world(r, `pocket:plugin@${version}`, 'plugin')));
    assert.equal([...r.main.worlds.keys()].sort(), ['0.1.0', '0.2.0'].includes(version) ? ['plugin'] : ['command', 'plugin']);
    assert.is(await crossCheck(text, r), r.main.worlds.size);
  }
});

// ---- grammar coverage ----

const KITCHEN_SINK = `
// line comment
/* block /* nested */ comment */
/// doc comment
package demo:all@1.2.0-rc-2023-11-10+build.5;

use demo:dep/shared@0.1.0 as shared-alias;

@since(version = 1.0.0)
interface types {
  use shared-alias.{meta, meta as meta2};
  use demo:dep/shared@0.1.0.{handle};
  @since(version = 1.1.0) @deprecated(version = 1.2.0)
  type bytes = list<u8>;
  type quad = list<u8, 4>;
  type all-prims = tuple<bool, u8, u16, u32, u64, s8, s16, s32, s64, f32, f64, char, string, error-context>;
  type results = tuple<result, result<u8>, result<_, string>, result<u8, string>>;
  type async-things = tuple<future, future<u8>, stream, stream<bytes>>;
  record point { x: s32, y: s32, }
  variant shape { none, circle(u32), poly(list<point>) }
  enum color { red, green, blue }
  flags perms { read, write, exec }
  @unstable(feature = fancy)
  resource blob {
    constructor(init: list<u8>);
    read: func(n: u32) -> list<u8>;
    merge: static func(lhs: borrow<blob>, rhs: borrow<blob>) -> blob;
    wait: async func();
    take: static async func(b: own<blob>) -> blob;
  }
  resource fallible {
    constructor() -> result<fallible, string>;
  }
  resource bare;
  %type: func(%enum: color, %record: option<point>) -> result<shape, meta2>;
  run: async func(h: borrow<handle>);
}

interface more {
  use types.{blob, point as pt};
  make: func(p: pt) -> blob;
}

world base {
  import log: func(msg: string);
  export types;
}

world all {
  include base with { log as base-log }
  include demo:dep/extras@0.1.0;
  use types.{color};
  type local = list<color>;
  import more;
  import demo:dep/shared@0.1.0;
  import inline: interface {
    use types.{point};
    get: func() -> point;
  }
  import log: func(level: local);
  @unstable(feature = fancy)
  export go: async func() -> result;
  export named-more: more;
}

package demo:dep@0.1.0 {
  interface shared {
    record meta { m: string }
    resource handle;
  }
  world extras {
    import shared;
    export extra: func();
  }
}
`;

test('the whole grammar: gates, %-names, top-level use, nested packages, include with, inline interfaces', async () => {
  // wasm-tools is asked with every feature enabled (`features: all`), so are we.
  const r = parseWitSource(KITCHEN_SINK, 'sink.wit', { allFeatures: true });
  assert.equal(r.main.id, { namespace: 'demo', name: 'all', version: '1.2.0-rc-2023-11-10+build.5' });
  assert.equal([...r.packages.keys()], ['demo:all@1.2.0-rc-2023-11-10+build.5', 'demo:dep@0.1.0']);
  const types = iface(r, packageKeyOf(r), 'types');
  const shared = { package: pkg(r, 'demo:dep@0.1.0').id, interface: 'shared' };
  assert.equal(typeDef(types, 'meta2'), { kind: 'use', target: { owner: shared, name: 'meta' } });
  assert.equal(typeDef(types, 'handle'), { kind: 'use', target: { owner: shared, name: 'handle' } });
  assert.equal(typeDef(types, 'quad'), { kind: 'alias', target: { kind: 'list', element: { kind: 'primitive', name: 'u8' }, length: 4 } });
  assert.equal(typeDef(types, 'results'), {
    kind: 'alias',
    target: { kind: 'tuple', items: [{ kind: 'result' }, { kind: 'result', ok: { kind: 'primitive', name: 'u8' } }, { kind: 'result', err: { kind: 'primitive', name: 'string' } }, { kind: 'result', ok: { kind: 'primitive', name: 'u8' }, err: { kind: 'primitive', name: 'string' } }] },
  });
  const blob = resource(types, 'blob');
  assert.equal(blob.constructor?.params.map((p) => p.name), ['init']);
  assert.equal(blob.methods.map((f) => [f.name, f.async ?? false]), [['read', false], ['wait', true]]);
  assert.equal(blob.statics.map((f) => [f.name, f.async ?? false]), [['merge', false], ['take', true]]);
  assert.equal(blob.statics[1]?.params[0]?.type, { kind: 'own', resource: { owner: { package: r.main.id, interface: 'types' }, name: 'blob' } });
  assert.equal(resource(types, 'bare'), { kind: 'resource', constructor: undefined, methods: [], statics: [] });
  assert.equal(typeDef(types, 'async-things').kind, 'alias');
  const typeFn = types.functions.get('type') as Func;
  assert.equal(typeFn.params.map((p) => p.name), ['enum', 'record']);
  assert.equal(named((typeFn.result as Extract<WitType, { kind: 'result' }>).err), { package: 'demo:dep@0.1.0', owner: 'shared', name: 'meta' });
  assert.equal(types.functions.get('run')?.params[0]?.type, { kind: 'borrow', resource: { owner: shared, name: 'handle' } });

  const all = world(r, packageKeyOf(r), 'all');
  assert.equal([...all.exports.keys()], ['demo:all/types', 'extra', 'go', 'named-more']);
  assert.equal(all.exports.get('named-more'), { kind: 'interface', ref: { package: r.main.id, interface: 'more' } });
  assert.ok(all.imports.has('base-log') && all.imports.has('log'));
  assert.equal([...all.types.keys()], ['color', 'local']);
  assert.equal(all.types.get('local'), { kind: 'alias', target: { kind: 'list', element: { kind: 'named', ref: { owner: { package: r.main.id, interface: 'types' }, name: 'color' } } } });
  const log = all.imports.get('log');
  assert.equal(log?.kind === 'function' && log.func.params[0]?.type, { kind: 'named', ref: { owner: { package: r.main.id, world: 'all' }, name: 'local' } });
  const inline = all.imports.get('inline');
  assert.is(inline?.kind, 'inline-interface');
  if (inline?.kind === 'inline-interface') {
    assert.is(inline.iface.package, undefined);
    assert.equal(named(inline.iface.functions.get('get')?.result), { package: 'demo:all@1.2.0-rc-2023-11-10+build.5', owner: 'types', name: 'point' });
  }
  assert.ok(all.imports.has('demo:dep/shared'));
  assert.is(await crossCheck(KITCHEN_SINK, r), 2);
});

function packageKeyOf(r: WitResolve): string {
  const { namespace, name, version } = r.main.id;
  return `${namespace}:${name}${version ? `@${version}` : ''}`;
}

test('use chains resolve to the definition; unversioned references find the one version present', async () => {
  const text = `package a:b;
interface a { type t = u8; resource r; }
interface b { use a.{t, r}; }
interface c { use b.{t as u, r}; f: func(x: u, y: borrow<r>) -> r; }
interface d { use c:d/j.{v}; }
world w { import c; export d; }
package c:d@1.0.0 { interface j { type v = string; } }`;
  const r = parseWitSource(text, 'chain.wit');
  const c = iface(r, 'a:b', 'c');
  const a = { package: r.main.id, interface: 'a' };
  assert.equal(typeDef(c, 'u'), { kind: 'use', target: { owner: a, name: 't' } });
  assert.equal(c.functions.get('f'), {
    name: 'f',
    params: [{ name: 'x', type: { kind: 'named', ref: { owner: a, name: 't' } } }, { name: 'y', type: { kind: 'borrow', resource: { owner: a, name: 'r' } } }],
    result: { kind: 'named', ref: { owner: a, name: 'r' } },
  });
  assert.equal(typeDef(iface(r, 'a:b', 'd'), 'v'), { kind: 'use', target: { owner: { package: { namespace: 'c', name: 'd', version: '1.0.0' }, interface: 'j' }, name: 'v' } });
  assert.equal(ourWorld(world(r, 'a:b', 'w')), { imports: ['a:b/a', 'a:b/b', 'a:b/c', 'c:d/j'], exports: ['a:b/d'] });
});

test('float32/float64 are read as f32/f64', () => {
  const r = parseWitSource('package a:b; interface i { f: func(x: float32) -> float64; }');
  assert.equal(iface(r, 'a:b', 'i').functions.get('f'), { name: 'f', params: [{ name: 'x', type: { kind: 'primitive', name: 'f32' } }], result: { kind: 'primitive', name: 'f64' } });
});

test('a text without a top-level package line: the first package block is the main package', () => {
  const r = parseWitSource('package x:one { interface i { use x:two/j.{t}; } }\npackage x:two { interface j { type t = u8; } }');
  assert.is(r.main.id.name, 'one');
  assert.is(r.packages.size, 2);
});

test('an unversioned reference is ambiguous when two versions are present', async () => {
  const text = 'package a:b;\ninterface i { use c:d/j.{t}; }\npackage c:d@1.0.0 { interface j { type t = u8; } }\npackage c:d@2.0.0 { interface j { type t = u8; } }';
  assert.is(await failure(() => parseWitSource(text, 'v.wit')), 'v.wit:2:19: package `c:d` is ambiguous: `c:d@1.0.0`, `c:d@2.0.0` are present; add a version, like `c:d/j@1.0.0`');
});

test('lenient forms: `include ... with { };` with a trailing `;` and an empty `use x.{};`', () => {
  const r = parseWitSource('package a:b;\ninterface j {}\ninterface i { use j.{}; }\nworld one { import f: func(); }\nworld w { include one with { f as g }; }');
  assert.equal([...world(r, 'a:b', 'w').imports.keys()], ['g']);
});

// ---- loading folders ----

test('loadWitPath: a folder whose files repeat the package line, with deps as folder and file', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.wit'), 'package my:app@1.0.0;\ninterface api { use wasi:io/streams.{input-stream}; use dep:one/x.{t}; f: func(s: input-stream, t: t); }');
  writeFileSync(join(dir, 'b.wit'), 'world app { export api; }');
  writeFileSync(join(dir, 'notes.md'), 'not WIT');
  mkdirSync(join(dir, 'deps', 'io'), { recursive: true });
  writeFileSync(join(dir, 'deps', 'io', 'package.wit'), readFileSync(join(BUILTIN, '0.2.12', 'wasi-io', 'package.wit')));
  writeFileSync(join(dir, 'deps', 'one.wit'), 'package dep:one@2.0.0 { interface x { type t = u8; } }');
  const r = await loadWitPath(dir);
  assert.equal([...r.packages.keys()], ['my:app@1.0.0', 'wasi:io@0.2.12', 'dep:one@2.0.0']);
  assert.equal(ourWorld(world(r, 'my:app@1.0.0', 'app')), { imports: ['dep:one/x', 'wasi:io/error', 'wasi:io/poll', 'wasi:io/streams'], exports: ['my:app/api'] });
  const single = await loadWitPath(join(dir, 'deps', 'one.wit'));
  assert.is(single.main.id.name, 'one');
});

test('loadWitPath: a missing path is not-found; a folder without .wit files names the folder', async () => {
  const missing = join(tempDir(), 'nope');
  assert.is(await failure(() => loadWitPath(missing), 'not-found'), `${missing}: no such WIT file or folder; check the path`);
  const empty = tempDir();
  assert.is(await failure(() => loadWitPath(empty)), `${empty}: no .wit files in this folder; a WIT package folder needs at least one \`*.wit\` file`);
});

test('a package declared twice with different contents is an error', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'main.wit'), 'package my:app;\nworld w { import dep:one/x; }');
  mkdirSync(join(dir, 'deps'));
  writeFileSync(join(dir, 'deps', 'a.wit'), 'package dep:one;\ninterface x { f: func(); }');
  writeFileSync(join(dir, 'deps', 'b.wit'), 'package dep:one;\ninterface x { f: func(a: u8); }');
  assert.is(
    await failure(() => loadWitPath(dir)),
    `${join(dir, 'deps', 'b.wit')}:1:1: package \`dep:one\` is declared twice with different contents (also at ${join(dir, 'deps', 'a.wit')}:1:1); keep one copy`,
  );
});

// ---- 3. errors with exact positions ----

const ERRORS: Record<string, { wit: string; message: string; wasmToolsRejects: boolean }> = {
  'syntax error': {
    wit: 'package a:b;\ninterface i {\n  f: func()\n}\nworld w { import i; }',
    message: 'bad.wit:4:1: expected `;`, found `}`',
    wasmToolsRejects: true,
  },
  'unknown type': {
    wit: 'package a:b;\ninterface i {\n  f: func(x: nope);\n}\nworld w { import i; }',
    message: 'bad.wit:3:14: unknown type `nope`; define it in interface `i` or bring it in with `use <interface>.{nope};`',
    wasmToolsRejects: true,
  },
  'unknown interface in use': {
    wit: 'package a:b;\ninterface i {\n  use missing.{t};\n}\nworld w { import i; }',
    message: 'bad.wit:3:7: unknown interface `missing`; declare `interface missing { ... }` or fix the name',
    wasmToolsRejects: true,
  },
  'unknown package in use': {
    wit: 'package a:b;\ninterface i {\n  use x:y/z@1.0.0.{t};\n}\nworld w { import i; }',
    message: 'bad.wit:3:7: unknown package `x:y@1.0.0`; put it in the `deps/` folder or declare it in a nested `package x:y@1.0.0 { ... }` block',
    wasmToolsRejects: true,
  },
  'duplicate field': {
    wit: 'package a:b;\ninterface i {\n  record r {\n    a: u8,\n    a: u16,\n  }\n}\nworld w { import i; }',
    message: 'bad.wit:5:5: duplicate field `a` in record `r` (first at 4:5); rename or remove one',
    wasmToolsRejects: false,
  },
  'duplicate function': {
    wit: 'package a:b;\ninterface i {\n  f: func();\n  f: func(x: u8);\n}\nworld w { import i; }',
    message: 'bad.wit:4:3: duplicate name `f` in interface `i` (first at 3:3); rename or remove one',
    wasmToolsRejects: true,
  },
  'use cycle': {
    wit: 'package a:b;\ninterface x {\n  use y.{t};\n  type s = u8;\n}\ninterface y {\n  use x.{s};\n  type t = u8;\n}\nworld w { import x; }',
    message: 'bad.wit:7:7: `use` cycle: `x` -> `y` -> `x`; move the shared types into an interface that none of them uses',
    wasmToolsRejects: true,
  },
  'borrow of a record': {
    wit: 'package a:b;\ninterface i {\n  record r { x: u8 }\n  f: func(x: borrow<r>);\n}\nworld w { import i; }',
    message: 'bad.wit:4:21: `borrow<r>` needs a resource, but `r` is a record; pass `r` by value instead',
    wasmToolsRejects: true,
  },
  'function used as a type': {
    wit: 'package a:b;\ninterface i {\n  g: func();\n  f: func(x: g);\n}\nworld w { import i; }',
    message: 'bad.wit:4:14: `g` is a function, not a type',
    wasmToolsRejects: true,
  },
  'recursive type': {
    wit: 'package a:b;\ninterface i {\n  record r { next: option<r> }\n}\nworld w { import i; }',
    message: 'bad.wit:3:27: type `r` refers to itself; WIT types cannot be recursive',
    wasmToolsRejects: true,
  },
  'unknown world in include': {
    wit: 'package a:b;\nworld w {\n  include nope;\n}',
    message: 'bad.wit:3:11: unknown world `nope`; declare `world nope { ... }` or fix the name',
    wasmToolsRejects: true,
  },
  'include conflict': {
    wit: 'package a:b;\nworld one { import f: func(); }\nworld two { import f: func(x: u8); }\nworld w {\n  include one;\n  include two;\n}',
    message: 'bad.wit:6:3: import `f` of world `two` conflicts with an item of the same name; rename it with `include two with { f as other-name }`',
    wasmToolsRejects: true,
  },
  'borrow returned': {
    wit: 'package a:b;\ninterface i {\n  resource r;\n  f: func() -> borrow<r>;\n}\nworld w { import i; }',
    message: 'bad.wit:4:3: function `f` returns a `borrow<...>` handle; only parameters can borrow, return an owned handle instead',
    wasmToolsRejects: true,
  },
  'bad identifier': {
    wit: 'package a:b;\ninterface i {\n  my_func: func();\n}\nworld w { import i; }',
    message: 'bad.wit:3:3: invalid character `_` in identifier `my_func`; use kebab-case like `my-name` (or `MY-NAME` per word)',
    wasmToolsRejects: true,
  },
  'keyword as a name': {
    wit: 'package a:b;\ninterface i {\n  record: func();\n}\nworld w { import i; }',
    message: 'bad.wit:3:3: `record` is a keyword; write `%record` to use it as a name',
    wasmToolsRejects: true,
  },
  'gate without a package version': {
    wit: 'package a:b;\ninterface i {\n  @since(version = 0.1.0)\n  f: func();\n}\nworld w { import i; }',
    message: 'bad.wit:3:4: package `a:b` uses `@since`/`@deprecated` gates, so it needs a version; declare `package a:b@x.y.z;`',
    wasmToolsRejects: true,
  },
  'empty enum': {
    wit: 'package a:b;\ninterface i {\n  enum e {}\n}\nworld w { import i; }',
    message: 'bad.wit:3:8: enum `e` is empty; it needs at least one case',
    wasmToolsRejects: true,
  },
};

for (const [name, { wit, message }] of Object.entries(ERRORS)) {
  test(`error: ${name}`, async () => {
    assert.is(await failure(() => parseWitSource(wit, 'bad.wit')), message);
  });
}

// ---- 4. wasm-tools agrees ----

test('wasm-tools rejects the broken inputs too', async () => {
  for (const [name, { wit, wasmToolsRejects: rejects }] of Object.entries(ERRORS)) {
    const verdict = await wasmToolsRejects(wit);
    if (rejects) assert.ok(verdict !== undefined, `wasm-tools accepted "${name}"`);
    else assert.is(verdict, undefined, `wasm-tools now rejects "${name}": ${verdict}; flip the expectation`);
  }
});

test('wasm-tools accepts every WASI world and sees the same imports and exports', async () => {
  let worlds = 0;
  for (const version of WASI_VERSIONS) {
    for (const name of readdirSync(join(BUILTIN, version))) {
      const text = wasiText(version, name);
      const r = parseWitSource(text, `${version}/${name}`, { allFeatures: true });
      const fromFolder = await loadWasi(version, name);
      assert.equal([...r.main.worlds.keys()], [...fromFolder.main.worlds.keys()]);
      worlds += await crossCheck(text, r);
    }
  }
  assert.is(worlds, 17);
});

test('random edits of WASI texts: accepted or rejected exactly when wasm-tools does', async () => {
  const texts = ['0.2.12', '0.3.0'].flatMap((version) => readdirSync(join(BUILTIN, version)).map((name) => wasiText(version, name)));
  let seed = 20240611;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let rejected = 0;
  for (let i = 0; i < 200; i++) {
    const text = texts[random(texts.length)] as string;
    const worldName = /^world ([a-z-]+)/m.exec(text)?.[1];
    if (worldName === undefined) continue;
    const tokens = [...text.matchAll(/[a-z][a-z0-9-]*|[;,{}<>]/g)];
    const at = tokens[random(tokens.length)] as RegExpMatchArray;
    const replacement = random(4) === 0 ? '' : (tokens[random(tokens.length)] as RegExpMatchArray)[0];
    const edited = text.slice(0, at.index) + replacement + text.slice((at.index ?? 0) + at[0].length);
    let ours: string | undefined;
    try {
      parseWitSource(edited, 'edited.wit', { allFeatures: true });
    } catch (error) {
      ours = (error as Error).message;
      assert.ok(isPluginError(error) && /^edited\.wit:\d+:\d+: /.test(ours), ours);
      rejected++;
    }
    let theirs: string | undefined;
    try {
      await componentEmbed({ witSource: edited, dummy: true, world: worldName, features: { tag: 'all' } });
    } catch (error) {
      theirs = String((error as Error).message ?? error);
    }
    assert.is(ours === undefined, theirs === undefined, `\`${at[0]}\` -> \`${replacement}\`: ours ${ours ?? 'accepts'}, wasm-tools ${theirs ?? 'accepts'}`);
  }
  assert.ok(rejected > 50, `only ${rejected} edits were rejected`);
});

test('wasm-tools accepts the single-package samples of this file', async () => {
  const samples = [
    'package a:b;\ninterface i { resource r { constructor(); m: func(); s: static func() -> r; } }\nworld w { import i; export e: func(x: list<u8, 4>) -> option<result<_, string>>; }',
    'package a:b@1.0.0;\n@since(version = 1.0.0) interface i { @unstable(feature = f) g: func(); @since(version = 1.0.0) @deprecated(version = 1.0.0) h: func(); }\nworld w { import i; export i; }',
    'package a:b;\ninterface j { resource r; }\ninterface i { use j.{r as rr}; f: func(x: borrow<rr>); }\nworld w { export i; }',
  ];
  for (const sample of samples) assert.is(await crossCheck(sample, parseWitSource(sample, '<wit>', { allFeatures: true })), 1);
});

test.run();
