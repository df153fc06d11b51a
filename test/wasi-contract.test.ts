/**
 * The sandbox's WASI contract. At compile time, host/src/sandbox/wasi/contract.ts checks every
 * interface `createWasi` builds against the declarations preview2-shim ships; here, at run time:
 *
 * - `SANDBOX_WASI_INTERFACES` is exactly what `createWasi` builds (whatever the grant);
 * - `WASI_VERSION` is the version of jco's WASI WIT and of what its preview1 adapter imports;
 * - every function, resource, method and static function of that WIT's interfaces is there (the
 *   shipped declarations can lag the WIT: e.g. `exit-with-code`);
 * - no source but host/src/sandbox/wasi/interfaces.ts writes the version out; the guest SDK
 *   imports WASI unversioned, and the bundle pins it to `WASI_VERSION`. examples/interop (built
 *   with upstream tools only) names a concrete version: one the host provides.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preview1AdapterReactorPath } from '@bytecodealliance/jco';
import { createWasi, disposeWasi, SANDBOX_WASI_INTERFACES as FROM_INDEX, type WasiIo } from '../host/src/sandbox/wasi/index.js';
import { KEYVALUE_VERSION, SANDBOX_WASI_INTERFACES, WASI_VERSION } from '../host/src/sandbox/wasi/interfaces.js';
import { bundlePluginWithImports } from '../tools/build/bundle-ts.js';
import { readProject } from '../tools/build/project.js';
import { WASI_VERSION as BUILD_WASI_VERSION, wasiInterfaceOf } from '../tools/build/wasi-world.js';
import { loadWitPath } from '../tools/wit/load.js';
import { packageKey, type Func, type Resource } from '../tools/wit/model.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILTIN = join(ROOT, 'node_modules/@bytecodealliance/jco/lib/wit/builtin');
const IO: WasiIo = { stdout: () => {}, stderr: () => {}, http: () => ({ ok: false, code: 'HTTP-request-denied', message: 'no' }) };
/** Unstable WIT items (`@unstable(feature = ...)`) the sandbox does not provide: jco's glue never binds them. */
const UNSTABLE_NOT_PROVIDED = ['wasi:http/types response-outparam.send-informational'];

const camel = (kebab: string): string => kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (kebab: string): string => camel(kebab).replace(/^[a-z]/, (c) => c.toUpperCase());
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('SANDBOX_WASI_INTERFACES is what createWasi builds, sorted, unversioned, frozen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasi-contract-'));
  try {
    for (const grant of [
      { env: [], dirs: [], args: [] },
      { env: [['A', '1']] as [string, string][], dirs: [{ guest: '/data', host: dir, writable: true }], args: ['p'] },
    ]) {
      const wasi = createWasi(grant, IO);
      assert.equal(Object.keys(wasi).sort(), [...SANDBOX_WASI_INTERFACES]);
      disposeWasi(wasi);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.is(FROM_INDEX, SANDBOX_WASI_INTERFACES);
  assert.ok(Object.isFrozen(SANDBOX_WASI_INTERFACES));
  assert.equal([...SANDBOX_WASI_INTERFACES], [...SANDBOX_WASI_INTERFACES].sort());
  for (const name of SANDBOX_WASI_INTERFACES) assert.match(name, /^wasi:[a-z]+\/[a-z-]+$/);
  // What plugins of every language rely on (the preview1 adapter's imports, ctx.* capabilities).
  for (const name of ['wasi:cli/environment', 'wasi:cli/exit', 'wasi:filesystem/types', 'wasi:filesystem/preopens', 'wasi:io/streams', 'wasi:http/outgoing-handler']) {
    assert.ok(SANDBOX_WASI_INTERFACES.includes(name), name);
  }
  assert.not.ok(SANDBOX_WASI_INTERFACES.includes('wasi:http/incoming-handler'));
});

test('WASI_VERSION is the version of jco\'s WASI WIT and the newest its preview1 adapter imports', () => {
  assert.match(WASI_VERSION, /^0\.2\.\d+$/);
  assert.is(BUILD_WASI_VERSION, WASI_VERSION);
  assert.ok(existsSync(join(BUILTIN, WASI_VERSION, 'wasi-cli', 'package.wit')), `jco ships no WASI ${WASI_VERSION} WIT`);
  const adapter = new WebAssembly.Module(readFileSync(fileURLToPath(preview1AdapterReactorPath())));
  const imports = [...new Set(WebAssembly.Module.imports(adapter).map((i) => i.module))].filter((m) => m.startsWith('wasi:'));
  assert.ok(imports.length > 10, imports.join());
  const patch = (v: string): number => Number(/^0\.2\.(\d+)$/.exec(v)?.[1] ?? NaN);
  const patches: number[] = [];
  for (const name of imports) {
    const [iface, version] = name.split('@') as [string, string];
    assert.ok(SANDBOX_WASI_INTERFACES.includes(iface), `the adapter imports ${name}, which the sandbox does not provide`);
    // A component links any 0.2.x import to the 0.2 version it is given (semver-compatible); the
    // adapter mixes versions (jco 1.35's imports wasi:filesystem/preopens@0.2.6).
    assert.ok(patch(version) <= patch(WASI_VERSION), name);
    patches.push(patch(version));
  }
  assert.is(Math.max(...patches), patch(WASI_VERSION));
});

test('createWasi provides every function, resource, method and static function of the WIT', async () => {
  const dir = join(BUILTIN, WASI_VERSION);
  const packages = readdirSync(dir);
  // Every item, @unstable ones too: the sandbox answers them for components built with the feature.
  const wit = await loadWitPath(join(dir, 'wasi-cli'), { deps: packages.filter((p) => p !== 'wasi-cli').map((p) => join(dir, p)), allFeatures: true });
  // wasi:keyvalue is not in jco's WASI: it is checked against the WIT the build uses (wit/deps).
  const keyvalue = await loadWitPath(join(ROOT, 'wit', 'deps', 'wasi-keyvalue'));
  const wasi = createWasi({ env: [], dirs: [], args: [] }, IO) as Record<string, Record<string, unknown>>;
  const missing: string[] = [];
  const extra: string[] = [];
  for (const name of SANDBOX_WASI_INTERFACES) {
    const [pkg, ifaceName] = name.slice('wasi:'.length).split('/') as [string, string];
    const iface =
      pkg === 'keyvalue'
        ? keyvalue.packages.get(packageKey({ namespace: 'wasi', name: pkg, version: KEYVALUE_VERSION }))?.interfaces.get(ifaceName)
        : wit.packages.get(packageKey({ namespace: 'wasi', name: pkg, version: WASI_VERSION }))?.interfaces.get(ifaceName);
    if (!iface) {
      missing.push(`${name} (not in the WIT)`);
      continue;
    }
    const provided = wasi[name]!;
    const expected = new Set<string>();
    const need = (what: string, ok: boolean): void => {
      if (!ok && !UNSTABLE_NOT_PROVIDED.includes(`${name} ${what}`)) missing.push(`${name} ${what}`);
    };
    for (const f of iface.functions.values()) {
      expected.add(camel(f.name));
      need(f.name, typeof provided[camel(f.name)] === 'function');
    }
    for (const [typeName, def] of iface.types) {
      if (def.kind !== 'resource') continue;
      expected.add(pascal(typeName));
      const cls = provided[pascal(typeName)] as (new () => unknown) | undefined;
      need(typeName, typeof cls === 'function');
      if (typeof cls !== 'function') continue;
      const res = def as Resource;
      const method = (f: Func): string => camel(f.name.replace(/^%/, ''));
      for (const m of res.methods) need(`${typeName}.${m.name}`, typeof (cls.prototype as Record<string, unknown>)[method(m)] === 'function');
      for (const s of res.statics) need(`${typeName}.${s.name}`, typeof (cls as unknown as Record<string, unknown>)[method(s)] === 'function');
    }
    for (const key of Object.keys(provided)) if (!expected.has(key)) extra.push(`${name} ${key}`);
  }
  assert.equal(missing, [], `missing from createWasi: ${missing.join(', ')}`);
  assert.equal(extra, [], `createWasi provides what the WIT does not have: ${extra.join(', ')}`);
});

/** Text files under the repository's source folders (not dependencies, builds or tests). */
function sourceFiles(): string[] {
  const out: string[] = [];
  const skip = new Set(['node_modules', 'dist', 'target', '.git']);
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (!skip.has(name)) walk(p);
      } else if (/\.(m?[jt]s|cjs|tsx?|rs|go|c|h|wit|json|toml|ya?ml|sh)$/.test(name)) {
        out.push(p);
      }
    }
  };
  for (const top of ['host', 'tools', 'guest-sdk', 'scripts', 'examples', 'wit']) if (existsSync(join(ROOT, top))) walk(join(ROOT, top));
  for (const name of ['package.json', 'tsconfig.json']) out.push(join(ROOT, name));
  return out;
}

test('no source writes the WASI version out but host/src/sandbox/wasi/interfaces.ts', () => {
  const home = join('host', 'src', 'sandbox', 'wasi', 'interfaces.ts');
  const version = new RegExp(`(?<![\\d.])${escape(WASI_VERSION)}(?![\\d])`);
  const versionedImport = /wasi:[a-z-]+\/[a-z-]+@\d+\.\d+\.\d+/;
  const offenders: string[] = [];
  const upstream: string[] = [];
  for (const file of sourceFiles()) {
    const rel = relative(ROOT, file);
    if (rel === home) continue;
    // examples/interop holds what a user writes outside this repository, for upstream tools
    // (componentize-js, jco, rustc): its WIT and imports must name a concrete WASI version. That
    // version only has to be one the host provides: 0.2.x with x at most WASI_VERSION's patch.
    const outside = rel.split(sep).join('/').startsWith('examples/interop/');
    // wasi:keyvalue has its own version (KEYVALUE_VERSION), which the Rust and C glue must name in
    // their import module names; any other keyvalue version is still an offender.
    const keyvalue = new RegExp(`wasi:keyvalue/[a-z-]+@${escape(KEYVALUE_VERSION)}(?![\\w.])`, 'g');
    readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
      const line = raw.replace(keyvalue, '');
      if (outside) {
        for (const m of line.matchAll(/wasi:[a-z-]+\/[a-z-]+@(\d+\.\d+\.\d+)/g)) upstream.push(`${rel}:${i + 1}: ${m[1]}`);
      } else if (version.test(line) || versionedImport.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.equal(offenders, [], `use WASI_VERSION (host/src/sandbox/wasi/interfaces.ts) instead:\n${offenders.join('\n')}`);
  const [major, minor, patch] = WASI_VERSION.split('.').map(Number) as [number, number, number];
  for (const u of upstream) {
    const [m, n, p] = u.slice(u.lastIndexOf(' ') + 1).split('.').map(Number) as [number, number, number];
    assert.ok(m === major && n === minor && p <= patch, `${u}: the host provides WASI ${major}.${minor}.0 to ${WASI_VERSION}`);
  }
  assert.ok(upstream.length > 0, 'examples/interop names the WASI version its greeter imports');
  assert.match(readFileSync(join(ROOT, home), 'utf8'), version);
});

test('the guest SDK imports and declares WASI modules unversioned, all of them ones the sandbox provides', () => {
  const caps = join(ROOT, 'guest-sdk', 'ts', 'src', 'capabilities');
  const specifiers = new Set<string>();
  for (const name of readdirSync(caps)) {
    const text = readFileSync(join(caps, name), 'utf8');
    for (const m of text.matchAll(/(?:from|declare module) '(wasi:[^']*)'/g)) specifiers.add(m[1]!);
  }
  assert.ok(specifiers.size > 0);
  for (const s of specifiers) {
    assert.match(s, /^wasi:[a-z]+\/[a-z-]+$/);
    assert.ok(SANDBOX_WASI_INTERFACES.includes(s), s);
  }
});

test('the build pins each wasi: import, versioned or not, to WASI_VERSION', async () => {
  assert.is(wasiInterfaceOf('wasi:cli/environment'), 'wasi:cli/environment');
  assert.is(wasiInterfaceOf('wasi:cli/environment@0.2.0'), 'wasi:cli/environment');
  assert.throws(() => wasiInterfaceOf('wasi:cli/environment@0.3.0'), new RegExp(`builds against WASI ${escape(WASI_VERSION)}`));
  const bundled = await bundlePluginWithImports(readProject(join(ROOT, 'test', 'fixtures', 'sandbox-ts-caps')), 'quickjs');
  const named = [...bundled.source.matchAll(/["'](wasx:[a-z]+\/[a-z-]+(?:@[^"']*)?)["']/g)].map((m) => m[1]!);
  assert.ok(named.length >= 4, named.join());
  for (const n of named) assert.ok(n.endsWith(`@${WASI_VERSION}`), n);
});

test.run();
