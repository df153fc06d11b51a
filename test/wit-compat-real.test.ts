/**
 * The checker against reality. A real plugin is built (componentize-qjs) against the old WIT in
 * `test/fixtures/wit-real/old`; for each pair, a host of the new WIT links it (jco transpile,
 * imports implementing exactly the new WIT's imports) and calls every export of the new WIT with
 * values of the new WIT's types, trying every enum case. `pocket-wit check --old --new` must say
 * "breaks existing plugins" exactly when that plugin fails to instantiate or to work.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { componentize } from 'componentize-qjs';
import { transpile } from '@bytecodealliance/jco';
import '../host/src/sandbox/engine.js'; // turns on extended-const on Node 20, as the host does
import { loadWitPath } from '../tools/wit/load.js';
import { diffWit } from '../tools/wit/diff.js';
import type { Interface, WitResolve, WitType, TypeDef } from '../tools/wit/model.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const BASE = join(ROOT, 'test/fixtures/wit-real');
const PAIRS = readdirSync(BASE).filter((d) => /^\d\d-/.test(d)).sort();

/** Whether the old plugin works with a host of the new WIT, and whether the new version number is enough. */
const EXPECTED: Record<string, { works: boolean; exit: 0 | 1 }> = {
  '01-import-function-added': { works: true, exit: 0 },
  '02-import-function-removed': { works: false, exit: 0 },
  '03-export-function-added': { works: false, exit: 0 },
  '04-field-retyped': { works: false, exit: 0 },
  '05-enum-case-added': { works: false, exit: 0 },
  '06-export-function-removed': { works: true, exit: 0 },
  '07-type-moved-with-use': { works: true, exit: 0 },
  '08-import-function-added-without-minor': { works: true, exit: 1 },
};

const PLUGIN_JS = `import host from 'test:real/host@1.0.0';
export const node = {
  run(x, l) { host.log('run ' + x.name); return x.name + ':' + x.count + ':' + l; },
  describe() { return 'a plugin built against test:real@1.0.0'; },
};`;

const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function typeDef(resolve: WitResolve, t: WitType): TypeDef | undefined {
  if (t.kind !== 'named') return undefined;
  for (const pkg of resolve.packages.values()) {
    const iface = t.ref.owner.interface ? pkg.interfaces.get(t.ref.owner.interface) : undefined;
    if (iface && pkg.id.name === t.ref.owner.package.name) return iface.types.get(t.ref.name);
  }
  return undefined;
}

/** A value of type `t`; `pick` chooses among enum/variant cases. */
function sample(resolve: WitResolve, t: WitType, pick: number): unknown {
  switch (t.kind) {
    case 'primitive':
      return t.name === 'string' || t.name === 'char' ? 'x' : t.name === 'bool' ? true : t.name === 'u64' || t.name === 's64' ? 7n : 7;
    case 'list':
      return [sample(resolve, t.element, pick)];
    case 'option':
      return sample(resolve, t.inner, pick);
    case 'tuple':
      return t.items.map((i) => sample(resolve, i, pick));
    case 'named': {
      let def = typeDef(resolve, t);
      while (def?.kind === 'use') def = typeDef(resolve, { kind: 'named', ref: def.target });
      if (!def) throw new Error(`no definition for ${t.ref.name}`);
      if (def.kind === 'record') return Object.fromEntries(def.fields.map((f) => [camel(f.name), sample(resolve, f.type, pick)]));
      if (def.kind === 'enum') return def.cases[pick % def.cases.length];
      if (def.kind === 'alias') return sample(resolve, def.target, pick);
      throw new Error(`sample: ${def.kind} not needed by these fixtures`);
    }
    default:
      throw new Error(`sample: ${t.kind} not needed by these fixtures`);
  }
}

function ifaceOf(resolve: WitResolve, key: string): Interface {
  const name = key.split('/')[1]!;
  const iface = resolve.main.interfaces.get(name);
  if (!iface) throw new Error(`no interface ${key}`);
  return iface;
}

let glueDir: string;
let modules: Map<string, WebAssembly.Module>;

test.before(async () => {
  const built = await componentize({ witPath: join(BASE, 'old'), jsSource: PLUGIN_JS, world: 'plugin', stubWasi: true, sync: true, optSize: true });
  const out = await transpile(new Uint8Array(built.component), { name: 'plugin', instantiation: 'sync', noTypescript: true, quiet: true });
  glueDir = tempDir('pocket-wit-real-');
  modules = new Map();
  for (const [name, bytes] of Object.entries(out.files)) {
    if (name.includes('/')) continue;
    writeFileSync(join(glueDir, name), bytes);
    // jco types its files as Uint8Array<ArrayBufferLike>; WebAssembly wants ArrayBuffer-backed bytes.
    if (name.endsWith('.wasm')) modules.set(name, new WebAssembly.Module(new Uint8Array(bytes)));
  }
});

/** Link the old plugin with a host of `resolve` and drive it as that host would. Returns the failure, if any. */
async function tryWithHost(resolve: WitResolve): Promise<string | undefined> {
  const world = resolve.main.worlds.get('plugin')!;
  const imports: Record<string, Record<string, unknown>> = {};
  for (const [key, item] of world.imports) {
    if (item.kind !== 'interface') continue;
    const impl: Record<string, unknown> = {};
    for (const fn of ifaceOf(resolve, key).functions.values()) impl[camel(fn.name)] = () => (fn.result ? sample(resolve, fn.result, 0) : undefined);
    imports[key] = impl;
  }
  const glue = (await import(`${pathToFileURL(join(glueDir, 'plugin.js')).href}?${Math.random()}`)) as {
    instantiate(get: (p: string) => WebAssembly.Module, imports: unknown): Record<string, Record<string, (...a: unknown[]) => unknown>>;
  };
  let instance;
  try {
    instance = glue.instantiate((p) => modules.get(p)!, imports);
  } catch (err) {
    return `instantiation failed: ${(err as Error).message}`;
  }
  for (const [key, item] of world.exports) {
    if (item.kind !== 'interface') continue;
    const exported = instance[key.split('/')[1]!];
    for (const fn of ifaceOf(resolve, key).functions.values()) {
      const f = exported?.[camel(fn.name)];
      if (typeof f !== 'function') return `the plugin has no ${key}#${fn.name}`;
      for (let pick = 0; pick < 3; pick++) {
        try {
          f(...fn.params.map((p) => sample(resolve, p.type, pick)));
        } catch (err) {
          return `${key}#${fn.name} failed: ${(err as Error).message}`;
        }
      }
    }
  }
  return undefined;
}

test('the catalogue of real pairs is complete', () => {
  assert.equal(PAIRS, Object.keys(EXPECTED).sort());
  assert.ok(PAIRS.length >= 5);
});

test('with the unchanged WIT the plugin works (the harness itself is sound)', async () => {
  assert.is(await tryWithHost(await loadWitPath(join(BASE, 'old'))), undefined);
});

for (const pair of PAIRS) {
  test(`${pair}: the verdict of check --old/--new agrees with a real plugin on a real host`, async () => {
    const oldW = await loadWitPath(join(BASE, 'old'));
    const newW = await loadWitPath(join(BASE, pair));
    const diff = diffWit(oldW, newW);
    const breaksPlugins = diff.changes.some((c) => c.breaks === 'plugins');
    const failure = await tryWithHost(newW);
    const expected = EXPECTED[pair]!;
    assert.is(failure === undefined, expected.works, `${pair}: ${failure ?? 'worked'}`);
    assert.is(!breaksPlugins, expected.works, `${pair}: checker says ${JSON.stringify(diff.changes)}, reality: ${failure ?? 'works'}`);
    const r = await runCli(['check', '--old', join(BASE, 'old'), '--new', join(BASE, pair), '--json']);
    assert.is(r.code, expected.exit, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stdout) as { changes: unknown[] }).changes, JSON.parse(JSON.stringify(diff.changes)));
  });
}

test.run();
