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
import { SANDBOX_WASI_INTERFACES } from './sandbox/wasi/interfaces.js';
import { defaultCacheDir } from './cache.js';
import type { ComponentFile } from './component.js';
import { HOST_INTERFACES, NODE_INTERFACE, SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, WORLD_VERSION, splitVersionedName, toolchainRoot } from './wit-world.js';

export interface TranspiledComponent {
  component: ComponentFile;
  /** Folder holding `plugin.js` and the core `.wasm` files. */
  dir: string;
  /** Absolute path of the JS glue module. */
  entry: string;
  /** Names of the core wasm files the glue asks for. */
  coreFiles: string[];
  /** The world version the plugin was built against (from its exports). */
  worldVersion: string;
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

function checkCommandVersion(version: string, source: string): string {
  if (!SUPPORTED_WORLD_VERSIONS.includes(version)) {
    throw new PluginError(
      'incompatible',
      `${source} targets ${WIT_PACKAGE}/command@${version}, which this host does not support (supported: ${SUPPORTED_WORLD_VERSIONS.join(', ')}); rebuild the plugin with this pocket-wit`,
    );
  }
  return version;
}

/** Check the component's world from its import and export names; returns the world version. */
export function checkWorld(imports: string[], exports: [string, string][], source: string): string {
  const nodeExport = exports.find(([name]) => splitVersionedName(name).name === NODE_INTERFACE);
  if (!nodeExport) {
    const names = exports.map(([n]) => n).join(', ') || 'nothing';
    throw new PluginError(
      'incompatible',
      `${source} is a component of another world: it exports ${names}, but a Pocket plugin must export ${NODE_INTERFACE}@<version> (world ${WIT_PACKAGE}/plugin); build it with \`pocket-wit build\``,
    );
  }
  const version = splitVersionedName(nodeExport[0]).version ?? '';
  if (!SUPPORTED_WORLD_VERSIONS.includes(version)) {
    throw new PluginError(
      'incompatible',
      `${source} targets ${WIT_PACKAGE}@${version || '(unversioned)'}, which this host does not support (supported: ${SUPPORTED_WORLD_VERSIONS.join(', ')}); rebuild the plugin with this pocket-wit`,
    );
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
  return version;
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
      const command = commandWorldVersion(meta.imports, meta.exports, component);
      const kind = command === undefined ? 'plugin' : 'command';
      const worldVersion = command === undefined ? checkWorld(meta.imports, meta.exports, component.source) : checkCommandVersion(command, component.source);
      return { component, dir, entry: join(dir, 'plugin.js'), coreFiles: meta.coreFiles, worldVersion, kind, imports: meta.imports, cached: true };
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
  const worldVersion = command === undefined ? checkWorld(result.imports, result.exports, component.source) : checkCommandVersion(command, component.source);

  const coreFiles = Object.keys(result.files).filter((f) => f.endsWith('.wasm'));
  const meta: CacheMeta = { imports: result.imports, exports: result.exports, coreFiles };
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
  return { component, dir, entry: join(dir, 'plugin.js'), coreFiles, worldVersion, kind, imports: result.imports, cached: false };
}
