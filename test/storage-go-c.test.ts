/**
 * Persistent storage (`permissions.storage`, issue #23) for Go and C plugins, built with the real
 * toolchains and run through the real CLI (`dist/pocket-wit.mjs run`; `npm run build` first), each
 * run its own process with a fresh `$POCKET_HOME` (so a fresh `storage/kv.sqlite`):
 * - Go (a WASI command) speaks storage as `{"t":"kv"}` protocol messages (guest-sdk/go/kv.go),
 *   answered by the command runner with `answerKv`;
 * - C imports `wasi:keyvalue@0.2.0-draft` through the SDK's hand-written glue
 *   (guest-sdk/c/pocket_kv.c), checked here against the WIT (flat signatures, result layouts);
 *   a plugin that never calls it imports no keyvalue, and one using wasi-libc as well gets the
 *   preview1 adapter and storage together.
 * Exact counts across processes, the quota (permission-denied, nothing written), a bucket not
 * granted, and plugins without the permission (permission-denied from the host).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentWit } from '@bytecodealliance/jco';
import { readLeb as leb, readWasmName } from '../host/src/component-sections.js';
import { readManifest } from '../host/src/index.js';
import { SqliteBackend } from '../host/src/storage/index.js';
import { buildPlugin } from '../tools/build/build.js';
import { buildC, C_LDFLAGS, cFlags, cSdkDir, manifestSource } from '../tools/build/languages/c.js';
import { readProject } from '../tools/build/project.js';
import { silentSteps } from '../tools/ui/steps.js';
import { loadWitPath } from '../tools/wit/load.js';
import { coreSignature, fieldOffsets, layout, payloadOffset, type CoreSignature, type CoreType } from '../tools/wit/flatten.js';
import type { Field, Func, Resource, WitResolve, WitType } from '../tools/wit/model.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const CLANG = '/usr/bin/clang-14';
const out = tempDir('pocket-wit-storage-');

/** A copy of a fixture with its manifest and sources edited (a variant to build). */
function variant(fixture: string, name: string, edit: Record<string, (text: string) => string>): string {
  const dir = join(tempDir('pocket-wit-storage-variant-'), name);
  cpSync(join(ROOT, 'test/fixtures', fixture), dir, { recursive: true, filter: (src) => !src.includes('/dist') });
  for (const [file, fn] of Object.entries(edit)) writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

/** The manifest without `permissions.storage`, under another name. */
const denied = (name: string) => (m: string) => m.replace(/^name: .*$/m, `name: ${name}`).replace(/\n {2}storage:\n( {4}.*\n)+/, '\n');

const wasm: Record<'go' | 'goDenied' | 'c' | 'cDenied' | 'cStdio', string> = { go: '', goDenied: '', c: '', cDenied: '', cStdio: '' };

test.before(async () => {
  const build = async (dir: string, file: string) => (await buildPlugin(dir, { out: join(out, file) })).out;
  const cStdio = (src: string) => src.replace('#include <string.h>', '#include <stdio.h>\n#include <string.h>').replace('static bool count(pp_str_t *out, pp_error_t *err) {', 'static bool count(pp_str_t *out, pp_error_t *err) {\n  fprintf(stderr, "counting\\n");');
  [wasm.go, wasm.goDenied, wasm.c, wasm.cDenied, wasm.cStdio] = await Promise.all([
    build(join(ROOT, 'test/fixtures/storage-go'), 'storage-go.wasm'),
    build(variant('storage-go', 'storage-go-denied', { 'manifest.yaml': denied('storage-go-denied') }), 'storage-go-denied.wasm'),
    build(join(ROOT, 'test/fixtures/storage-c'), 'storage-c.wasm'),
    build(variant('storage-c', 'storage-c-denied', { 'manifest.yaml': denied('storage-c-denied') }), 'storage-c-denied.wasm'),
    build(variant('storage-c', 'storage-c-stdio', { 'manifest.yaml': (m) => m.replace('name: storage-c', 'name: storage-c-stdio'), 'src/storage.c': cStdio }), 'storage-c-stdio.wasm'),
  ]);
});

interface RunResult {
  code: number;
  output?: unknown;
  error?: { code: string; message: string };
  stderr: string;
}

/** `pocket-wit run <wasm> <node> --input '{}' --json` in its own process, with `home` as POCKET_HOME. */
async function run(file: string, node: string, home: string): Promise<RunResult> {
  const r = await runCli(['run', file, node, '--input', '{}', '--json'], { env: { POCKET_HOME: home } });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let parsed: { output?: unknown; error?: { code: string; message: string } } = {};
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    assert.unreachable(`not JSON on stdout (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, stderr: r.stderr, ...parsed };
}

async function count(file: string, home: string): Promise<number> {
  const r = await run(file, 'count', home);
  assert.is(r.code, 0, r.stderr);
  return (r.output as { count: number }).count;
}

/** What the plugin `ns` stored under `key`, read from the database file itself. */
async function stored(home: string, ns: string, bucket: string, key: string): Promise<string | undefined> {
  const db = new SqliteBackend(join(home, 'storage', 'kv.sqlite'));
  try {
    const v = await db.get(ns, bucket, key);
    return v === undefined ? undefined : Buffer.from(v).toString('utf8');
  } finally {
    await db.close();
  }
}

for (const lang of ['go', 'c'] as const) {
  const name = `storage-${lang}`;

  test(`${lang}: count in separate processes shares one counter, kept in $POCKET_HOME/storage/kv.sqlite`, async () => {
    const home = tempDir('pocket-wit-home-');
    const file = join(home, 'storage', 'kv.sqlite');
    assert.not.ok(existsSync(file));
    assert.is(await count(wasm[lang], home), 1);
    assert.ok(existsSync(file), 'the SQLite file is created at the first write');
    assert.is(await count(wasm[lang], home), 2);
    // Two processes at once: each increment is one atomic step, so neither is lost.
    const both = await Promise.all([count(wasm[lang], home), count(wasm[lang], home)]);
    assert.equal(both.sort(), [3, 4]);
    assert.is(await stored(home, name, 'counters', 'calls'), '4');
  });

  test(`${lang}: a write over the quota is permission-denied and writes nothing`, async () => {
    const home = tempDir('pocket-wit-home-');
    const r = await run(wasm[lang], 'fill', home);
    assert.is(r.code, 1);
    assert.is(r.error?.code, 'permission-denied', r.stderr);
    assert.match(r.error!.message, /bucket scratch: (Set|set)\("big"\): storage-(go|c): writing "big" to bucket scratch would store 4 KB, more than its storage quota of 1 KB \(permissions\.storage\.quota\)/);
    assert.is(await stored(home, name, 'scratch', 'big'), undefined);
  });

  test(`${lang}: a bucket the manifest does not grant is permission-denied, naming it`, async () => {
    const r = await run(wasm[lang], 'other-bucket', tempDir('pocket-wit-home-'));
    assert.is(r.code, 1);
    assert.is(r.error?.code, 'permission-denied');
    assert.match(r.error!.message, /\("secrets"\): bucket "secrets" is not granted; name it in permissions\.storage\.buckets in manifest\.yaml/);
  });

  test(`${lang}: without permissions.storage, storage is permission-denied by the host`, async () => {
    const home = tempDir('pocket-wit-home-');
    const r = await run(lang === 'go' ? wasm.goDenied : wasm.cDenied, 'count', home);
    assert.is(r.code, 1);
    assert.is(r.error?.code, 'permission-denied', r.stderr);
    assert.match(r.error!.message, /\("counters"\): the host grants this plugin no storage \(permissions\.storage\)/);
    assert.not.ok(existsSync(join(home, 'storage', 'kv.sqlite')), 'no database for a plugin without storage');
  });
}

test('go: set, get, JSON, exists, keys and delete round-trip', async () => {
  const home = tempDir('pocket-wit-home-');
  const r = await run(wasm.go, 'roundtrip', home);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.output, {
    bytes: Buffer.from([0, 1, 2, 255]).toString('base64'), // []byte, as encoding/json writes it
    found: true,
    doc: { a: 1, b: ['x'] },
    docFound: true,
    missingFound: false,
    keys: ['bytes', 'doc'],
    existsAfterDelete: false,
  });
  assert.is(await stored(home, 'storage-go', 'scratch', 'doc'), undefined);
});

test('c: set, get, exists, keys and delete round-trip (an empty value included)', async () => {
  const home = tempDir('pocket-wit-home-');
  const r = await run(wasm.c, 'roundtrip', home);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.output, { value: '{"x":1}', found: true, missing: 0, keys: ['a', 'b'], existsAfterDelete: false });
  assert.is(await stored(home, 'storage-c', 'scratch', 'b'), undefined);
});

// ---- C: what the component imports ----

async function imports(component: Uint8Array): Promise<string[]> {
  const wit = await componentWit(component);
  return wit.split('\n').filter((l) => /^\s*import /.test(l)).map((l) => l.trim().replace(/^import ([^;]+);$/, '$1'));
}

test('c: a storage plugin imports wasi:keyvalue store and atomics (no WASI adapter without wasi-libc)', async () => {
  const names = await imports(new Uint8Array(readFileSync(wasm.c)));
  assert.ok(names.includes('wasi:keyvalue/store@0.2.0-draft'), names.join(', '));
  assert.ok(names.includes('wasi:keyvalue/atomics@0.2.0-draft'), names.join(', '));
  assert.ok(!names.some((n) => n.startsWith('wasi:cli/') || n.startsWith('wasi:io/')), names.join(', '));
});

test('c: with wasi-libc (stderr) too, the adapter and storage work together', async () => {
  const names = await imports(new Uint8Array(readFileSync(wasm.cStdio)));
  for (const n of ['wasi:keyvalue/store@0.2.0-draft', 'wasi:keyvalue/atomics@0.2.0-draft']) assert.ok(names.includes(n), names.join(', '));
  assert.ok(names.some((n) => n.startsWith('wasi:cli/stderr')), names.join(', '));
  const home = tempDir('pocket-wit-home-');
  const first = await run(wasm.cStdio, 'count', home);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stderr, /counting/);
  assert.equal(first.output, { count: 1 });
  assert.is(await count(wasm.cStdio, home), 2);
});

test('c: a plugin that never calls pp_kv_* imports no keyvalue (c-word-stats)', async () => {
  const dir = join(tempDir('pocket-wit-storage-cws-'), 'c-word-stats');
  cpSync(join(ROOT, 'examples/c-word-stats'), dir, { recursive: true, filter: (src) => !src.includes('/dist') });
  const { component } = await buildC(readProject(dir), { witVersion: '0.2.1', steps: silentSteps });
  const names = await imports(component);
  assert.ok(!names.some((n) => n.includes('keyvalue')), names.join(', '));
  assert.equal(names.filter((n) => n.startsWith('wasi:')), []);
});

// ---- C: the hand-written glue against wit/deps/wasi-keyvalue ----

const VALTYPES: Record<number, CoreType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };

/** The function imports of a core module (`module#name`) with their core signatures. */
function coreImports(bytes: Uint8Array): Map<string, CoreSignature> {
  const types: CoreSignature[] = [];
  const found = new Map<string, CoreSignature>();
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = leb(bytes, at + 1);
    if (id === 1 || id === 2) {
      let [n, p] = leb(bytes, body);
      for (; n > 0; n--) {
        if (id === 1) {
          const sig: CoreSignature = { params: [], results: [] };
          p += 1; // 0x60
          for (const key of ['params', 'results'] as const) {
            let [k, q] = leb(bytes, p);
            for (; k > 0; k--) sig[key].push(VALTYPES[bytes[q++]!]!);
            p = q;
          }
          types.push(sig);
        } else {
          const [mod, p1] = readWasmName(bytes, p);
          const [name, p2] = readWasmName(bytes, p1);
          const kind = bytes[p2]!;
          assert.is(kind, 0, `${mod}#${name}: only function imports are expected`);
          const [ti, q] = leb(bytes, p2 + 1);
          found.set(`${mod}#${name}`, types[ti]!);
          p = q;
        }
      }
    }
    at = body + size;
  }
  return found;
}

/** Compile a core module as the C builder does (SDK, storage glue, the storage-c manifest) with `source`. */
function compileCore(source: string): Uint8Array {
  const dir = tempDir('pocket-wit-kv-core-');
  writeFileSync(join(dir, 'plugin.c'), source);
  writeFileSync(join(dir, 'pocket_manifest.c'), manifestSource(readManifest(join(ROOT, 'test/fixtures/storage-c/manifest.yaml'))));
  const core = join(dir, 'core.wasm');
  const sdk = cSdkDir();
  const r = spawnSync(CLANG, [...cFlags(sdk), ...C_LDFLAGS, '-o', core, join(dir, 'plugin.c'), join(sdk, 'pocket_plugin.c'), join(sdk, 'pocket_kv.c'), join(dir, 'pocket_manifest.c')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return new Uint8Array(readFileSync(core));
}

const EXEC = `bool pp_exec(const pp_call_t *call, pp_str_t *out, pp_error_t *err) { (void)call; (void)err; *out = PP_STR("null"); return true; }\n`;

/** Calls every pp_kv_* function (the linker keeps an import only when something calls it). */
const TOUCH = `#include "pocket_plugin.h"
${EXEC}
__attribute__((export_name("touch"))) int touch(void) {
  pp_error_t err;
  pp_str_t v;
  pp_str_list_t keys;
  uint64_t n;
  pp_kv_bucket_t *b = pp_kv_open(PP_STR("counters"), &err);
  int r = pp_kv_get(b, PP_STR("k"), &v, &err) + pp_kv_set(b, PP_STR("k"), PP_STR("v"), &err) + pp_kv_delete(b, PP_STR("k"), &err) +
          pp_kv_exists(b, PP_STR("k"), &err) + pp_kv_increment(b, PP_STR("k"), 1, &n, &err) + pp_kv_keys(b, &keys, &err);
  pp_kv_close(b);
  return r;
}
`;

let kvWit: WitResolve | undefined;
async function keyvalueWit(): Promise<WitResolve> {
  kvWit ??= await loadWitPath(join(ROOT, 'wit/deps/wasi-keyvalue'));
  return kvWit;
}

/** Every function the glue imports, by core import name, as the WIT declares it (methods with their `self`). */
function keyvalueFuncs(resolve: WitResolve): Map<string, Func> {
  const version = resolve.main.id.version;
  const store = resolve.main.interfaces.get('store')!;
  const bucket = store.types.get('bucket') as Resource;
  const self: Field = { name: 'self', type: { kind: 'borrow', resource: { owner: { package: resolve.main.id, interface: 'store' }, name: 'bucket' } } };
  const funcs = new Map<string, Func>();
  funcs.set(`wasi:keyvalue/store@${version}#open`, store.functions.get('open')!);
  for (const m of bucket.methods) funcs.set(`wasi:keyvalue/store@${version}#[method]bucket.${m.name}`, { ...m, params: [self, ...m.params] });
  funcs.set(`wasi:keyvalue/store@${version}#[resource-drop]bucket`, { name: '[resource-drop]bucket', params: [self] });
  funcs.set(`wasi:keyvalue/atomics@${version}#increment`, resolve.main.interfaces.get('atomics')!.functions.get('increment')!);
  return funcs;
}

test('c glue vs WIT: every keyvalue import has the flat signature the WIT gives, and all are imported', async () => {
  const resolve = await keyvalueWit();
  const expected = new Map([...keyvalueFuncs(resolve)].map(([name, f]) => [name, coreSignature(resolve, f, 'lower')]));
  const core = coreImports(compileCore(TOUCH));
  const kv = [...core.keys()].filter((n) => n.startsWith('wasi:keyvalue/'));
  assert.equal(kv.sort(), [...expected.keys()].sort());
  for (const name of kv) assert.equal(core.get(name), expected.get(name), name);
  // spot checks of the flattening: u64 as i64, option<u64> as (i32, i64), the return pointer last
  assert.equal(expected.get('wasi:keyvalue/atomics@0.2.0-draft#increment'), { params: ['i32', 'i32', 'i32', 'i64', 'i32'], results: [] });
  assert.equal(expected.get('wasi:keyvalue/store@0.2.0-draft#[method]bucket.list-keys'), { params: ['i32', 'i32', 'i64', 'i32'], results: [] });
});

test('c glue vs WIT: without a pp_kv_* call the module imports no keyvalue (the linker drops it)', () => {
  const core = coreImports(compileCore(`#include "pocket_plugin.h"\n${EXEC}`));
  assert.equal([...core.keys()].filter((n) => n.includes('keyvalue')), []);
});

test('c glue vs WIT: the return areas of pocket_kv.c have the canonical ABI layout of each result', async () => {
  const resolve = await keyvalueWit();
  const funcs = keyvalueFuncs(resolve);
  const result = (name: string): WitType => [...funcs].find(([n]) => n.endsWith(`#${name}`))![1].result!;
  const areas: [string, string, string][] = [
    ['open', 'kv_ret_open_t', 'val'],
    ['[method]bucket.get', 'kv_ret_get_t', 'val'],
    ['[method]bucket.set', 'kv_ret_unit_t', 'err'],
    ['[method]bucket.delete', 'kv_ret_unit_t', 'err'],
    ['[method]bucket.exists', 'kv_ret_bool_t', 'val'],
    ['[method]bucket.list-keys', 'kv_ret_list_t', 'val'],
    ['increment', 'kv_ret_u64_t', 'val'],
  ];
  const lines = ['#include "pocket_kv.c"'];
  const check = (expr: string, value: number, what: string) => lines.push(`_Static_assert(${expr} == ${value}, "${what}: ${value}");`);
  for (const [fn, struct, payload] of areas) {
    const t = result(fn);
    const l = layout(resolve, t);
    check(`sizeof(${struct})`, l.size, `${fn} result size`);
    check(`_Alignof(${struct})`, l.align, `${fn} result align`);
    check(`offsetof(${struct}, ${payload})`, payloadOffset(resolve, t), `${fn} result payload`);
  }
  const store = { package: resolve.main.id, interface: 'store' };
  const error: WitType = { kind: 'named', ref: { owner: store, name: 'error' } };
  check('sizeof(kv_error_t)', layout(resolve, error).size, 'error size');
  check('offsetof(kv_error_t, other)', payloadOffset(resolve, error), 'error payload');
  const response: WitType = { kind: 'named', ref: { owner: store, name: 'key-response' } };
  check('sizeof(kv_key_response_t)', layout(resolve, response).size, 'key-response size');
  for (const [field, offset] of fieldOffsets(resolve, response)) check(`offsetof(kv_key_response_t, ${field})`, offset, `key-response.${field}`);
  const cursor: WitType = { kind: 'option', inner: { kind: 'primitive', name: 'u64' } };
  check('offsetof(kv_key_response_t, cursor.val) - offsetof(kv_key_response_t, cursor)', payloadOffset(resolve, cursor), 'option<u64> payload');
  const value: WitType = { kind: 'option', inner: { kind: 'list', element: { kind: 'primitive', name: 'u8' } } };
  check('sizeof(pp_opt_str_t)', layout(resolve, value).size, 'option<list<u8>> size');
  check('offsetof(pp_opt_str_t, val)', payloadOffset(resolve, value), 'option<list<u8>> payload');
  // the error cases, in the WIT's order, are the tags the glue compares with
  const cases = (resolve.main.interfaces.get('store')!.types.get('error') as { cases: { name: string }[] }).cases.map((c) => c.name);
  assert.equal(cases, ['no-such-store', 'access-denied', 'other']);
  check('KV_NO_SUCH_STORE', 0, 'no-such-store');
  check('KV_ACCESS_DENIED', 1, 'access-denied');
  check('KV_OTHER', 2, 'other');
  const dir = tempDir('pocket-wit-kv-layout-');
  writeFileSync(join(dir, 'layout.c'), `${lines.join('\n')}\n`);
  const r = spawnSync(CLANG, [...cFlags(cSdkDir()), '-fsyntax-only', '-Wno-unused-function', join(dir, 'layout.c')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

test.run();
