/**
 * The WIT parser against the oracle (tools/wit/oracle.ts: wit-parser and component validation as
 * jco ships them), over a corpus: every WIT package in node_modules (jco's builtin WASI packages
 * and its node/tls packages, jco-std's copies; deduplicated by content), the project's wit/v*
 * folders, the test fixtures' WIT, and small invalid texts, one per rule
 * (test/wit-invalid-cases.ts). Our parser must reject exactly what the oracle rejects, naming the
 * offending line and column; the only exceptions are the documented policy in POLICY below
 * (and in docs/COMPATIBILITY.md, "What the WIT parser accepts").
 *
 * The oracle runs without features, as `pocket-wit types` (jco) does: `@unstable` items are left
 * out, and our resolver leaves them out by default too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentEmbed, componentNew, componentWit } from '@bytecodealliance/jco';
import { isPluginError } from '../host/src/errors.js';
import { loadWitPath, parseWitSource } from '../tools/wit/load.js';
import type { WitResolve, World } from '../tools/wit/model.js';
import { oracleText, oracleTextOf, oracleValidate, type OracleWit } from '../tools/wit/oracle.js';
import { INVALID_CASES } from './wit-invalid-cases.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILTIN = join(ROOT, 'node_modules/@bytecodealliance/jco/lib/wit/builtin');
const JCO_STD = join(ROOT, 'node_modules/@bytecodealliance/jco-std/wit');

/** One corpus entry: a WIT path with its dependency paths, loaded by us and joined for the oracle. */
interface Entry {
  label: string;
  path: string;
  deps: string[];
}

const dirs = (path: string): string[] => (existsSync(path) ? readdirSync(path).filter((d) => statSync(join(path, d)).isDirectory()).sort() : []);

/** Every WIT package of the corpus. */
function corpus(): Entry[] {
  const entries: Entry[] = [];
  // jco's builtin WASI versions: each package with its siblings as dependencies.
  for (const version of dirs(BUILTIN).filter((d) => /^\d/.test(d))) {
    const dir = join(BUILTIN, version);
    for (const name of dirs(dir)) entries.push({ label: `jco builtin ${version}/${name}`, path: join(dir, name), deps: dirs(dir).filter((d) => d !== name).map((d) => join(dir, d)) });
  }
  // jco's and jco-std's node and tls packages (the tls package carries its wasi:io in deps/).
  const io = join(BUILTIN, '0.2.12', 'wasi-io');
  for (const [root, node, tls] of [
    [BUILTIN, 'jco-node-0.1.0', 'wasi-tls-0.2.0-draft'],
    [JCO_STD, 'node-0.1.0', 'tls-0.2.0-draft'],
  ] as const) {
    if (!existsSync(join(root, node))) continue;
    entries.push({ label: relative(ROOT, join(root, tls)), path: join(root, tls), deps: [] });
    entries.push({ label: relative(ROOT, join(root, node)), path: join(root, node), deps: [join(root, tls), io] });
  }
  // The project's released worlds.
  for (const v of dirs(join(ROOT, 'wit')).filter((d) => d.startsWith('v'))) entries.push({ label: `wit/${v}`, path: join(ROOT, 'wit', v), deps: [] });
  // Test fixtures: diff pairs (one file each side), the real-plugin WIT, another world.
  const fixtures = join(ROOT, 'test/fixtures');
  for (const pair of dirs(join(fixtures, 'wit-pairs'))) {
    for (const side of ['old.wit', 'new.wit']) entries.push({ label: `wit-pairs/${pair}/${side}`, path: join(fixtures, 'wit-pairs', pair, side), deps: [] });
  }
  for (const dir of dirs(join(fixtures, 'wit-real'))) entries.push({ label: `wit-real/${dir}`, path: join(fixtures, 'wit-real', dir), deps: [] });
  if (existsSync(join(fixtures, 'other-world/world.wit'))) entries.push({ label: 'other-world', path: join(fixtures, 'other-world/world.wit'), deps: [] });
  return entries;
}

/**
 * Documented policy: texts our parser rejects although the oracle accepts them. Each is WIT that
 * can never become (part of) a component, or that our model does not represent.
 */
const POLICY: { name: string; wit: string; at: string; why: string }[] = [
  {
    name: 'map<K, V>',
    wit: 'package a:b;\ninterface i {\n  type m = map<string, u8>;\n}',
    at: '3:12',
    why: 'the structural model has no map type yet; use list<tuple<K, V>>',
  },
  {
    name: 'an upper-case package name no component mentions',
    wit: 'package a:b;\npackage a:C {\n  interface j {}\n}',
    at: '2:11',
    why: 'component validation rejects it as soon as an interface of it is imported or exported; we reject it where it is written',
  },
  {
    name: 'an empty record in a package no world uses',
    wit: 'package a:b;\npackage c:d {\n  interface j {\n    record r {}\n  }\n}',
    at: '4:12',
    why: 'component validation rejects it as soon as the interface is used; we reject it where it is written',
  },
];

async function ours(run: () => unknown): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    assert.ok(isPluginError(error), `not a PluginError: ${String(error)}`);
    assert.is((error as { code: string }).code, 'invalid-wit');
    return (error as Error).message;
  }
}

test('the corpus: every WIT package parses exactly when the oracle accepts it', async () => {
  const seen = new Set<string>();
  const disagreements: string[] = [];
  let packages = 0;
  for (const entry of corpus()) {
    const wit: OracleWit = await oracleText(entry.path, entry.deps);
    const hash = createHash('sha256').update(wit.text).digest('hex');
    if (seen.has(hash)) continue;
    seen.add(hash);
    packages++;
    const mine = await ours(() => loadWitPath(entry.path, { deps: entry.deps }));
    const theirs = await oracleValidate(wit);
    if ((mine === undefined) !== theirs.ok) disagreements.push(`${entry.label}: ours ${mine ?? 'accepts'}; oracle ${theirs.ok ? 'accepts' : theirs.message}`);
  }
  assert.equal(disagreements, []);
  assert.ok(packages >= 140, `only ${packages} distinct packages in the corpus`);
});

test(`${INVALID_CASES.length} invalid texts, one rule each: the oracle rejects them, and so do we, at the offending line:col`, async () => {
  assert.ok(INVALID_CASES.length >= 40);
  assert.is(new Set(INVALID_CASES.map((c) => c.name)).size, INVALID_CASES.length, 'case names are unique');
  const problems: string[] = [];
  for (const c of INVALID_CASES) {
    const theirs = await oracleValidate(oracleTextOf(c.wit, c.name));
    if (theirs.ok) problems.push(`${c.name}: the oracle accepts it; it is no invalid case`);
    const mine = await ours(() => parseWitSource(c.wit, 'bad.wit'));
    if (mine === undefined) problems.push(`${c.name}: we accept it; the oracle says ${theirs.ok ? 'ok' : theirs.message}`);
    else if (!mine.startsWith(`bad.wit:${c.at}: `)) problems.push(`${c.name}: expected bad.wit:${c.at}, got ${mine}`);
  }
  assert.equal(problems, []);
});

test('documented policy: what we reject although the oracle accepts it', async () => {
  for (const p of POLICY) {
    assert.ok((await oracleValidate(oracleTextOf(p.wit))).ok, `the oracle now rejects "${p.name}": move it to the invalid cases`);
    const mine = await ours(() => parseWitSource(p.wit, 'bad.wit'));
    assert.ok(mine?.startsWith(`bad.wit:${p.at}: `), `${p.name}: ${mine ?? 'accepted'}`);
  }
});

// ---- @unstable ----

/** Imports and exports of a world as wasm-tools elaborates it without features (unversioned names, types left out). */
async function wasmToolsWorld(text: string, worldName: string): Promise<{ imports: string[]; exports: string[] }> {
  const core = await componentEmbed({ witSource: text, dummy: true, world: worldName });
  const lines = (await componentWit(await componentNew(core))).split('\n').map((l) => l.trim());
  const names = (keyword: string): string[] =>
    lines.filter((l) => l.startsWith(`${keyword} `)).map((l) => (l.slice(keyword.length + 1).replace(/;$/, '').split(': ')[0] ?? '').replace(/@.*$/, '')).sort();
  return { imports: names('import'), exports: names('export') };
}

function ourWorld(w: World): { imports: string[]; exports: string[] } {
  const keys = (m: Map<string, { kind: string }>): string[] => [...m].filter(([, item]) => item.kind !== 'type').map(([k]) => k).sort();
  return { imports: keys(w.imports), exports: keys(w.exports) };
}

function count(r: WitResolve): number {
  let n = 0;
  for (const i of r.main.interfaces.values()) {
    n += 1 + i.types.size + i.functions.size;
    for (const t of i.types.values()) if (t.kind === 'resource') n += t.methods.length + t.statics.length + (t.constructor ? 1 : 0);
  }
  for (const w of r.main.worlds.values()) n += 1 + w.imports.size + w.exports.size;
  return n;
}

test('@unstable items are left out by default, as wit-parser does, and kept when their feature is enabled', async () => {
  const gated = corpus().filter((e) => e.label.startsWith('jco builtin') && readdirSync(e.path).some((f) => f.endsWith('.wit') && readFileSync(join(e.path, f), 'utf8').includes('@unstable')));
  assert.ok(gated.length >= 4, `${gated.length} WASI packages with @unstable items`);
  for (const entry of gated) {
    const byDefault = await loadWitPath(entry.path, { deps: entry.deps });
    const all = await loadWitPath(entry.path, { deps: entry.deps, allFeatures: true });
    assert.ok(count(all) > count(byDefault), `${entry.label}: enabling every feature adds items`);
    const text = (await oracleText(entry.path, entry.deps)).text;
    for (const w of byDefault.main.worlds.values()) assert.equal(ourWorld(w), await wasmToolsWorld(text, w.name), `${entry.label} world ${w.name}`);
  }
  const clocks = join(BUILTIN, '0.2.12', 'wasi-clocks');
  const deps = [join(BUILTIN, '0.2.12', 'wasi-io')];
  assert.not.ok((await loadWitPath(clocks, { deps })).main.interfaces.has('timezone'));
  assert.ok((await loadWitPath(clocks, { deps, features: ['clocks-timezone'] })).main.interfaces.has('timezone'));
  assert.ok((await loadWitPath(clocks, { deps, allFeatures: true })).main.worlds.get('imports')?.imports.has('wasi:clocks/timezone'));

  const text = [
    'package a:b@1.0.0;',
    'interface i {',
    '  @unstable(feature = f) type t = u8;',
    '  @unstable(feature = f) g: func(x: t);',
    '  resource r { @unstable(feature = f) m: func(); n: func(); }',
    '  h: func();',
    '}',
    '@unstable(feature = f) interface j { k: func(); }',
    'world w { import i; @unstable(feature = f) import j; @unstable(feature = f) export e: func(); }',
  ].join('\n');
  const off = parseWitSource(text);
  const i = off.main.interfaces.get('i');
  assert.equal([...(i?.functions.keys() ?? [])], ['h']);
  assert.equal([...(i?.types.keys() ?? [])], ['r']);
  const r = i?.types.get('r');
  assert.equal(r?.kind === 'resource' && r.methods.map((m) => m.name), ['n']);
  assert.equal([...off.main.interfaces.keys()], ['i']);
  assert.equal(ourWorld(off.main.worlds.get('w') as World), { imports: ['a:b/i'], exports: [] });
  const on = parseWitSource(text, '<wit>', { features: ['f'] });
  assert.equal([...(on.main.interfaces.get('i')?.functions.keys() ?? [])], ['g', 'h']);
  assert.equal(ourWorld(on.main.worlds.get('w') as World), { imports: ['a:b/i', 'a:b/j'], exports: ['e'] });
  assert.equal(ourWorld(off.main.worlds.get('w') as World), await wasmToolsWorld(text, 'w'));
});

test.run();
