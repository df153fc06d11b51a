/**
 * Stage 2: transpiled module. Checks that a component targets a `pocket:plugin` world this
 * host supports and turns it into JavaScript glue plus core wasm modules with jco. The result
 * is cached on disk under the component's sha256, so a second load skips transpiling.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { TranspileReply, TranspileRequest } from './transpile-worker.js';
import { workerEntry } from './worker-entry.js';
import { PluginError } from './errors.js';
import { KEYVALUE_VERSION, SANDBOX_WASI_INTERFACES } from './sandbox/wasi/interfaces.js';
import { defaultCacheDir } from './cache.js';
import type { ComponentFile } from './component.js';
import { COMMAND_WORLD_VERSIONS, compareVersions, HOST_INTERFACES, NODE_INTERFACE, SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, WORLD_VERSION, resolveWorldVersion, splitVersionedName, toolchainRoot } from './wit-world.js';
import { hostFunctionsOf } from './world-versions/index.js';

export interface TranspiledComponent {
  component: ComponentFile;
  /** Folder holding `plugin.js` and the core `.wasm` files. */
  dir: string;
  /** Absolute path of the JS glue module. */
  entry: string;
  /** Names of the core wasm files the glue asks for. */
  coreFiles: string[];
  /** The world version the plugin was built against (from its exports, or its section for a command). */
  worldVersion: string;
  /**
   * The supported version the host links it with: `worldVersion` itself when this host has it,
   * else the newest supported version of its semver track (`resolveWorldVersion`).
   */
  linkVersion: string;
  /**
   * `plugin`: a component of the world `pocket:plugin/plugin` (exports the node interface).
   * `command`: a WASI command of the world `pocket:plugin/command` (a Go plugin), run
   * long-lived in a worker by the command runner.
   */
  kind: 'plugin' | 'command';
  /** Interfaces the component imports (unversioned names, as jco reports them). */
  imports: string[];
  /** True when this load was served from the disk cache. */
  cached: boolean;
}

interface CacheMeta {
  imports: string[];
  exports: [string, string][];
  coreFiles: string[];
  /** The functions the glue takes from each `pocket:plugin/*` import, by unversioned interface name. */
  hostFunctions: Record<string, string[]>;
}

/**
 * The functions jco's glue takes from each `pocket:plugin/*` import (camelCase, as the host's
 * import objects name them): exactly the functions the component imports. Read from the glue's
 * `const { log, storeGet } = imports['pocket:plugin/host'];` lines.
 */
export function glueHostFunctions(glue: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of glue.matchAll(/const \{([^}]*)\} = imports\['(pocket:plugin\/[^']+)'\];/g)) {
    const iface = splitVersionedName(m[2]!).name.slice(WIT_PACKAGE.length + 1);
    const names = m[1]!.split(',').map((n) => n.trim().split(':')[0]!.trim()).filter(Boolean);
    out[iface] = [...new Set([...(out[iface] ?? []), ...names])].sort();
  }
  return out;
}

let jcoVersionMemo: string | undefined;
function jcoVersion(): string {
  if (!jcoVersionMemo) {
    const pkg = JSON.parse(readFileSync(join(toolchainRoot(), 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    jcoVersionMemo = pkg.dependencies?.['@bytecodealliance/jco'] ?? 'unknown';
  }
  return jcoVersionMemo;
}

const COMMAND_WORLD = /^pocket:plugin\/command@(.+)$/;

/**
 * Whether a component is a command plugin (world `pocket:plugin/command`): its section says so,
 * or it exports `wasi:cli/run` and imports only `wasi:*` and `pocket:plugin/*` interfaces (a
 * freshly built Go plugin, before `pocket-wit build` stamps the section). Returns the world
 * version, or undefined for anything else.
 */
export function commandWorldVersion(imports: string[], exports: [string, string][], component: ComponentFile): string | undefined {
  const declared = component.section ? COMMAND_WORLD.exec(component.section.world) : null;
  const runsCli = exports.some(([name]) => splitVersionedName(name).name === 'wasi:cli/run');
  const exportsNode = exports.some(([name]) => splitVersionedName(name).name === NODE_INTERFACE);
  if (exportsNode || !runsCli) return undefined;
  if (declared) return declared[1];
  if (component.section) return undefined;
  const foreign = imports.filter((name) => !name.startsWith('wasi:') && !name.startsWith(`${WIT_PACKAGE}/`));
  return foreign.length === 0 ? WORLD_VERSION : undefined;
}

/** The fix an `incompatible` version error ends with. */
function versionFix(version: string, supported: readonly string[]): string {
  const rebuild = `rebuild the plugin with this pocket-wit (\`pocket-wit build\` targets ${WIT_PACKAGE}@${WORLD_VERSION}, \`--wit-version\` picks one of ${supported.join(', ')})`;
  const newest = [...supported].sort(compareVersions).pop();
  return newest !== undefined && version && compareVersions(version, newest) > 0 ? `upgrade the host to a pocket-wit that runs ${WIT_PACKAGE}@${version}, or ${rebuild}` : rebuild;
}

/**
 * The version a command plugin (world `pocket:plugin/command@<version>`) is linked with: the
 * newest command world of its semver track (Go plugins built before 0.2.1 name `command@0.2.0`,
 * the same track as 0.2.1, where the world was released).
 */
function checkCommandVersion(version: string, source: string): { worldVersion: string; linkVersion: string } {
  const link = resolveWorldVersion(version, COMMAND_WORLD_VERSIONS);
  if (link === undefined) {
    throw new PluginError(
      'incompatible',
      `${source} targets ${WIT_PACKAGE}/command@${version || '(unversioned)'}, which this host does not run: it runs ${WIT_PACKAGE}/command ${COMMAND_WORLD_VERSIONS.join(', ')} and versions semver-compatible with them (same minor below 1.0.0, same major from 1.0.0); ${versionFix(version, COMMAND_WORLD_VERSIONS)}`,
    );
  }
  return { worldVersion: version, linkVersion: link };
}

/**
 * Check the component's world from its import and export names (and, when known, the functions it
 * imports from each `pocket:plugin` interface); returns the version it targets and the supported
 * version the host links it with.
 */
export function checkWorld(
  imports: string[],
  exports: [string, string][],
  source: string,
  hostFunctions?: Record<string, readonly string[]>,
): { worldVersion: string; linkVersion: string } {
  const nodeExport = exports.find(([name]) => splitVersionedName(name).name === NODE_INTERFACE);
  if (!nodeExport) {
    const names = exports.map(([n]) => n).join(', ') || 'nothing';
    throw new PluginError(
      'incompatible',
      `${source} is a component of another world: it exports ${names}, but a Pocket plugin must export ${NODE_INTERFACE}@<version> (world ${WIT_PACKAGE}/plugin); build it with \`pocket-wit build\``,
    );
  }
  const version = splitVersionedName(nodeExport[0]).version ?? '';
  const linkVersion = resolveWorldVersion(version);
  if (linkVersion === undefined) {
    throw new PluginError(
      'incompatible',
      `${source} targets ${WIT_PACKAGE}@${version || '(unversioned)'}, which this host does not support (supported: ${SUPPORTED_WORLD_VERSIONS.join(', ')}, and versions semver-compatible with them: same minor below 1.0.0, same major from 1.0.0); ${versionFix(version, SUPPORTED_WORLD_VERSIONS)}`,
    );
  }
  // A newer patch of a supported track may import host functions this host's version lacks.
  if (hostFunctions && linkVersion !== version) {
    const provided = hostFunctionsOf(linkVersion);
    const missing: string[] = [];
    for (const [iface, fns] of Object.entries(hostFunctions)) {
      const have = provided.get(iface);
      if (iface === 'types') continue;
      for (const fn of fns) if (!have?.has(fn)) missing.push(`${WIT_PACKAGE}/${iface}@${version}#${kebab(fn)}`);
    }
    if (missing.length > 0) {
      throw new PluginError(
        'incompatible',
        `${source} targets ${WIT_PACKAGE}@${version} and imports ${missing.join(', ')}, which this host lacks: its newest compatible version is ${WIT_PACKAGE}@${linkVersion} (supported: ${SUPPORTED_WORLD_VERSIONS.join(', ')}); upgrade the host to one that supports ${WIT_PACKAGE}@${version}, or rebuild the plugin with \`pocket-wit build --wit-version ${linkVersion}\``,
      );
    }
  }
  // WASI is provided per instance by the sandbox, built from the plugin's permissions.
  const unknown = imports.filter((name) => {
    const bare = splitVersionedName(name).name;
    return !HOST_INTERFACES.includes(bare) && !SANDBOX_WASI_INTERFACES.includes(bare);
  });
  if (unknown.length > 0) {
    throw new PluginError(
      'incompatible',
      `${source} imports ${unknown.join(', ')}, which this host does not provide (it provides ${HOST_INTERFACES.join(', ')} and, in its sandbox, the WASI interfaces ${SANDBOX_WASI_INTERFACES.join(', ')})`,
    );
  }
  return { worldVersion: version, linkVersion };
}

/**
 * Refuses a component importing `wasi:keyvalue` at another version than the sandbox implements
 * (jco's import list names interfaces without versions, so they are read off the component's
 * import names).
 */
export function checkKeyvalueVersion(bytes: Uint8Array, source: string): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const other = new Set<string>();
  // A version ends with a letter or digit: inner names such as `indirect-wasi:keyvalue/store@0.2.0-draft-[method]bucket.get` carry it followed by `-`.
  for (const m of text.matchAll(/(?<!indirect-)wasi:keyvalue\/([a-z][a-z0-9-]*)@([0-9A-Za-z.+-]*[0-9A-Za-z])/g)) if (m[2] !== KEYVALUE_VERSION) other.add(m[0]);
  if (other.size > 0) {
    throw new PluginError(
      'incompatible',
      `${source} imports ${[...other].sort().join(', ')}; this host implements wasi:keyvalue@${KEYVALUE_VERSION} only (docs/STORAGE.md): rebuild the plugin against that version`,
    );
  }
}

/** `storeGet` → `store-get`: a glue name as the WIT names it. */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve(r: TranspileReply): void; reject(e: Error): void }>();

/** jco's transpile in the transpile worker (`transpile-worker.ts`): the host thread only waits. */
function transpileOffThread(bytes: Uint8Array): Promise<{ imports: string[]; exports: [string, string][]; files: Record<string, Uint8Array> }> {
  if (!worker) {
    const entry = workerEntry('transpile-worker');
    const w = new Worker(entry.path, { execArgv: entry.execArgv, stdout: true, stderr: true });
    w.unref();
    w.on('message', (reply: TranspileReply) => {
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      waiter?.resolve(reply);
    });
    const fail = (err: Error): void => {
      if (worker === w) worker = undefined;
      for (const waiter of pending.values()) waiter.reject(err);
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the transpile worker stopped (exit code ${code})`)));
    worker = w;
  }
  const w = worker;
  const id = nextId++;
  return new Promise<TranspileReply>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    // A copy goes to the worker: the caller keeps its bytes.
    const copy = new Uint8Array(bytes);
    w.postMessage({ id, bytes: copy } satisfies TranspileRequest, [copy.buffer]);
  }).then((reply) => {
    if (!reply.ok) throw new Error(reply.message);
    return { imports: reply.imports, exports: reply.exports, files: Object.fromEntries(reply.files) };
  });
}

/** Transpile a component (or reuse the cached transpilation). */
export async function transpileComponent(component: ComponentFile, options: { cacheDir?: string } = {}): Promise<TranspiledComponent> {
  const root = join(options.cacheDir ?? defaultCacheDir(), 'transpiled');
  const dir = join(root, `${component.sha256}-jco${jcoVersion()}`);
  const metaPath = join(dir, 'meta.json');
  if (existsSync(metaPath)) {
    try {
      const meta = JSON.parse(await readFile(metaPath, 'utf8')) as CacheMeta;
      if (!meta.hostFunctions) throw new Error('a cache entry of an older pocket-wit');
      const command = commandWorldVersion(meta.imports, meta.exports, component);
      const kind = command === undefined ? 'plugin' : 'command';
      const versions = command === undefined ? checkWorld(meta.imports, meta.exports, component.source, meta.hostFunctions) : checkCommandVersion(command, component.source);
      if (meta.imports.some((i) => i.startsWith('wasi:keyvalue/'))) checkKeyvalueVersion(component.bytes, component.source);
      return { component, dir, entry: join(dir, 'plugin.js'), coreFiles: meta.coreFiles, ...versions, kind, imports: meta.imports, cached: true };
    } catch (err) {
      if (err instanceof PluginError) throw err;
      // A damaged cache entry is rebuilt below.
    }
  }

  let result: { imports: string[]; exports: [string, string][]; files: Record<string, Uint8Array> };
  try {
    result = await transpileOffThread(component.bytes);
  } catch (cause) {
    const msg = String((cause as Error)?.message ?? cause).split('\n').filter(Boolean).slice(0, 3).join(': ');
    throw new PluginError('invalid-plugin', `${component.source} is not a valid component: ${msg}; rebuild it with \`pocket-wit build\``, { cause });
  }
  const command = commandWorldVersion(result.imports, result.exports, component);
  const kind = command === undefined ? 'plugin' : 'command';
  const glue = result.files['plugin.js'];
  const hostFunctions = glue ? glueHostFunctions(new TextDecoder().decode(glue)) : {};
  const versions = command === undefined ? checkWorld(result.imports, result.exports, component.source, hostFunctions) : checkCommandVersion(command, component.source);
  if (result.imports.some((i) => i.startsWith('wasi:keyvalue/'))) checkKeyvalueVersion(component.bytes, component.source);

  const coreFiles = Object.keys(result.files).filter((f) => f.endsWith('.wasm'));
  const meta: CacheMeta = { imports: result.imports, exports: result.exports, coreFiles, hostFunctions };
  // Write into a private folder, then rename: readers never see a half-written entry.
  const tmp = join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  for (const [name, bytes] of Object.entries(result.files)) {
    await mkdir(dirname(join(tmp, name)), { recursive: true });
    await writeFile(join(tmp, name), bytes);
  }
  await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
  try {
    await rename(tmp, dir);
  } catch {
    // Another process finished the same entry first; use theirs.
    await rm(tmp, { recursive: true, force: true });
  }
  return { component, dir, entry: join(dir, 'plugin.js'), coreFiles, ...versions, kind, imports: result.imports, cached: false };
}
