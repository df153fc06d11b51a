/**
 * The WASI a TypeScript plugin's component imports: nothing unless its permissions (or its own
 * code) need it, and then exactly those interfaces.
 *
 * componentize-qjs builds with `stubWasi: true`, which replaces every `wasi:` import of the
 * component with a trap (the QuickJS runtime's own libc WASI use, never reached at run time),
 * including the interfaces the world itself imports. So the world imports the interfaces a
 * plugin needs under a stand-in namespace of the same length, `wasx:` (a staged copy of the
 * WASI packages of {@link WASI_VERSION} jco ships, renamed), which stubbing leaves alone;
 * afterwards the component's top-level import names are renamed back to `wasi:`, in place
 * (same lengths, so no offset moves). Everything inside the component that links to them refers to the imports
 * by index, not by name.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { PluginError, WORLD_NAME, witDir } from './toolchain.js';
import { readLeb } from '../../host/src/component-sections.js';
import { KEYVALUE_VERSION, SANDBOX_WASI_INTERFACES, WASI_VERSION, wasiPackageVersion } from '../../host/src/sandbox/wasi/interfaces.js';
import { toolchainRootPath } from './toolchain.js';
import { keyvalueWitBody } from '../../host/src/wit-world.js';

/** The WASI version plugins are built against (the one the host's preview1 adapter uses); defined once, in the host. */
export { WASI_VERSION, wasiPackageVersion };
/** What a `wasi:` import's version must start with to be rewritten to {@link WASI_VERSION}: the same `major.minor.` (`0.2.`). */
const COMPATIBLE_VERSION_PREFIX = WASI_VERSION.replace(/\d+$/, '');
/** The stand-in namespace (same length as `wasi`) that `stubWasi` leaves alone. */
export const WASI_ALIAS = 'wasx';
/** The world the build componentizes when WASI is imported: `plugin` plus those imports. */
export const WASI_WORLD_NAME = 'plugin-with-wasi';

/** What each permission adds to the world (unversioned names). */
export const PERMISSION_INTERFACES = {
  env: ['wasi:cli/environment'],
  filesystem: ['wasi:filesystem/preopens', 'wasi:filesystem/types'],
  network: ['wasi:http/outgoing-handler', 'wasi:http/types'],
  storage: ['wasi:keyvalue/store', 'wasi:keyvalue/atomics'],
} as const;

export type CapabilityName = keyof typeof PERMISSION_INTERFACES;

interface Permissions {
  env?: readonly string[];
  filesystem?: readonly string[];
  network?: readonly string[];
  storage?: { buckets: readonly string[] };
}

/** The capabilities a manifest's permissions declare (a non-empty list each, or a storage grant). */
export function declaredCapabilities(permissions: Permissions | undefined): CapabilityName[] {
  const p = permissions ?? {};
  const lists = (['env', 'filesystem', 'network'] as const).filter((k) => (p[k]?.length ?? 0) > 0);
  return p.storage ? [...lists, 'storage'] : lists;
}

/**
 * `wasi:sockets/tcp-create-socket` (or the same with any `@0.2.x` version) →
 * `wasi:sockets/tcp-create-socket`; throws a build error naming the module for one the sandbox
 * does not provide, or for a version outside WASI 0.2.
 */
export function wasiInterfaceOf(specifier: string): string {
  const m = /^wasi:([a-z][a-z0-9-]*)\/([a-z][a-z0-9-]*)(?:@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?))?$/.exec(specifier);
  const name = m ? `wasi:${m[1]}/${m[2]}` : specifier;
  if (!m || !SANDBOX_WASI_INTERFACES.includes(name)) {
    throw new PluginError('build-failed', `the plugin imports ${specifier}, which the Pocket sandbox does not provide; a plugin may import these WASI interfaces: ${SANDBOX_WASI_INTERFACES.join(', ')}`);
  }
  if (m[3] && name.startsWith('wasi:keyvalue/') && m[3] !== KEYVALUE_VERSION) {
    throw new PluginError('build-failed', `the plugin imports ${specifier}; pocket-wit implements wasi:keyvalue@${KEYVALUE_VERSION}: import ${name}@${KEYVALUE_VERSION}`);
  }
  if (m[3] && !name.startsWith('wasi:keyvalue/') && !m[3].startsWith(COMPATIBLE_VERSION_PREFIX)) {
    throw new PluginError('build-failed', `the plugin imports ${specifier}; pocket-wit builds against WASI ${WASI_VERSION}: import ${name}@${WASI_VERSION}`);
  }
  return name;
}

/** The WASI interfaces a plugin's world imports: its linked capabilities' plus its code's own. */
export function worldWasiImports(capabilities: readonly CapabilityName[], codeImports: Iterable<string> = []): string[] {
  const all = new Set<string>(codeImports);
  for (const cap of capabilities) for (const i of PERMISSION_INTERFACES[cap]) all.add(i);
  return [...all].sort();
}

/** jco's bundled WASI WIT of {@link WASI_VERSION} (its package exports leave out package.json: resolve its entry, dist/api.js). */
function jcoWasiDir(): string {
  const entry = createRequire(import.meta.url).resolve('@bytecodealliance/jco');
  return join(dirname(dirname(entry)), 'lib', 'wit', 'builtin', WASI_VERSION);
}

/**
 * A WIT folder for componentize-qjs: the `pocket:plugin` package of `witVersion` plus a world
 * `plugin-with-wasi` that includes `plugin` and imports `interfaces` (in the `wasx:` namespace),
 * with the WASI packages in `deps/`. The caller removes `dir`.
 */
export async function stageWasiWorld(witVersion: string, interfaces: readonly string[]): Promise<{ dir: string; world: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pocket-wit-wasi-world-'));
  try {
    await cp(witDir(witVersion), dir, { recursive: true });
    const source = jcoWasiDir();
    for (const pkg of await readdir(source)) {
      const text = await readFile(join(source, pkg, 'package.wit'), 'utf8');
      await mkdir(join(dir, 'deps', pkg), { recursive: true });
      await writeFile(join(dir, 'deps', pkg, 'package.wit'), text.replace(/\bwasi:/g, `${WASI_ALIAS}:`));
    }
    // wasi:keyvalue is not in jco's WASI: its WIT is pocket-wit's own copy (wit/deps/wasi-keyvalue).
    const keyvalue = join(toolchainRootPath(), 'wit', 'deps', 'wasi-keyvalue');
    await mkdir(join(dir, 'deps', 'keyvalue'), { recursive: true });
    for (const file of await readdir(keyvalue)) {
      if (file.endsWith('.wit')) await writeFile(join(dir, 'deps', 'keyvalue', file), (await readFile(join(keyvalue, file), 'utf8')).replace(/\bwasi:/g, `${WASI_ALIAS}:`));
    }
    const imports = interfaces.map((i) => `  import ${i.replace(/^wasi:/, `${WASI_ALIAS}:`)}@${wasiPackageVersion(i)};`);
    await writeFile(
      join(dir, 'pocket-wit-with-wasi.wit'),
      `package pocket:plugin@${witVersion};\n\n/// Generated by pocket-wit build: the plugin world plus the WASI the plugin's permissions need.\nworld ${WASI_WORLD_NAME} {\n  include ${WORLD_NAME};\n${imports.join('\n')}\n}\n`,
    );
    return { dir, world: WASI_WORLD_NAME };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function skipLeb(bytes: Uint8Array, at: number): number {
  while (bytes[at++]! & 0x80);
  return at;
}

/**
 * Rename the component's top-level imports from namespace `from` to `to` (same length), in a
 * copy. Only the top-level import sections are touched: nested components and core modules
 * keep their own names, which link to the outer imports by index.
 */
export function renameImportNamespace(component: Uint8Array, from: string = WASI_ALIAS, to: string = 'wasi'): Uint8Array {
  if (from.length !== to.length) throw new Error('renameImportNamespace: the namespaces must have the same length');
  const out = new Uint8Array(component);
  const fromBytes = new TextEncoder().encode(`${from}:`);
  const toBytes = new TextEncoder().encode(`${to}:`);
  let at = 8;
  while (at < out.length) {
    const id = out[at++]!;
    let size: number;
    [size, at] = readLeb(out, at);
    const end = at + size;
    if (id === 10) {
      let p: number;
      let count: number;
      [count, p] = readLeb(out, at);
      for (let i = 0; i < count; i++) {
        const tag = out[p++]!;
        if (tag !== 0x00 && tag !== 0x01) throw new Error(`unexpected import name tag 0x${tag.toString(16)}`);
        let len: number;
        [len, p] = readLeb(out, p);
        if (len > fromBytes.length && fromBytes.every((b, k) => out[p + k] === b)) out.set(toBytes, p);
        p += len;
        if (tag === 0x01) {
          let vlen: number;
          [vlen, p] = readLeb(out, p);
          p += vlen;
        }
        const sort = out[p++]!;
        if (sort === 0x00) p = skipLeb(out, p + 1); // core module: 0x00 0x11 typeidx
        else if (sort === 0x03 && out[p] === 0x01) p += 1; // type (sub resource)
        else if (sort === 0x02 || sort === 0x03) p = skipLeb(out, p + 1); // value / type (eq i)
        else p = skipLeb(out, p); // func, component, instance: typeidx
      }
      if (p !== end) throw new Error('the component import section did not parse to its end');
    }
    at = end;
  }
  return out;
}

/** The world a Rust or C plugin with storage is wrapped into: `plugin` plus `wasi:keyvalue`. */
export const STORAGE_WORLD_NAME = 'plugin-with-storage';

/**
 * One WIT source text (for `componentEmbed`) holding the `pocket:plugin` package of `witVersion`,
 * the `wasi:keyvalue` package pocket-wit implements (wit/deps/wasi-keyvalue, as a nested package)
 * and the world {@link STORAGE_WORLD_NAME}: what a core module importing storage is wrapped with.
 */
export function storageWitSource(witVersion: string, pluginWit: string): string {
  return [
    pluginWit,
    '',
    `world ${STORAGE_WORLD_NAME} {`,
    `  include ${WORLD_NAME};`,
    ...PERMISSION_INTERFACES.storage.map((i) => `  import ${i}@${KEYVALUE_VERSION};`),
    '}',
    '',
    `package wasi:keyvalue@${KEYVALUE_VERSION} {`,
    keyvalueWitBody(),
    '}',
    '',
  ].join('\n');
}
