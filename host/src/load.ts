/**
 * `loadPlugin`: the whole pipeline from a file (or bytes) to a typed plugin:
 * component bytes → transpiled module (disk cache) → compiled module → runner with linked
 * instances → metadata → Plugin.
 */
import { readComponent } from './component.js';
import { PluginError } from './errors.js';
import { metadataHost, stderrLogSink, type LogSink } from './host-api.js';
import { checkNodeDefinitions, parseMetadata } from './metadata.js';
import { Plugin } from './plugin.js';
import { toPluginError, type PluginRunner } from './runner.js';
import { transpileComponent } from './transpile.js';
import { WIT_PACKAGE } from './wit-world.js';
import { sharedEngine, type Engine } from './sandbox/engine.js';
import { resolvePolicy, type PermissionsGrant, type SandboxPolicy, type SizeLimits } from './sandbox/policy.js';
import { selectRunner, type Isolation } from './sandbox/runners.js';
import { findManifestFile, type PermissionsDecl } from './manifest.js';
import { learnedMetadata, NOTHING_GRANTED, rememberMetadata } from './learned-metadata.js';
import type { KvBackend } from './storage/index.js';
import { basename, dirname, resolve } from 'node:path';

export interface LoadOptions {
  /** Folder for transpiled components; see `defaultCacheDir()`. */
  cacheDir?: string;
  /** Where plugin log lines go unless a call says otherwise; stderr by default. */
  log?: LogSink;
  /**
   * What this host grants the plugin at most: it gets what its manifest asks for, narrowed by
   * this (a smaller memory cap or timeout, fewer env names, directories or hosts); never more.
   */
  permissions?: PermissionsGrant;
  /**
   * Size limits: the request and response of one call (16 MB each by default), and the caps on
   * what a call may send besides (action name, error, logs, store writes, HTTP bodies; see
   * `CallLimits` for each default).
   */
  limits?: SizeLimits;
  /** Worker threads for this plugin, each with its own instance; default min(4, CPUs). */
  pool?: number;
  /**
   * The folder relative `filesystem` permissions are resolved against: by default the plugin
   * project's folder (the one holding its manifest, next to the `.wasm` or above its `dist/`),
   * else the `.wasm` file's folder, else the current directory.
   */
  baseDir?: string;
  /**
   * How calls are isolated: `worker` (the default) runs every call in a worker thread of the
   * plugin's pool, memory capped, time limited, with WASI built from its permissions; `in-process`
   * runs it on the caller's thread with no isolation, limits or WASI (trusted plugins and
   * measurements only; command plugins such as Go always run in a worker).
   */
  isolation?: Isolation;
  /** Compiles and caches core modules; the process's shared engine by default. */
  engine?: Engine;
  /**
   * Whether a phase call whose instance died (a trap, running out of memory, a Go fatal error) is
   * retried once on a fresh instance before it fails; default true. A deterministic failure still
   * fails, its error carrying both attempts (`PluginError.attempts`). Timeouts and the plugin's own
   * errors are never retried here (a workflow node's `retry` is for those).
   */
  retryCrashed?: boolean;
  /**
   * For a component without the `pocket-wit:plugin` section: look its metadata up in, and write it
   * to, the learned-metadata cache, and run it under the name it declares (default `true`).
   * `false` reads `metadata()` under the component's source name with nothing cached: what
   * `pocket-wit build` and `stamp` do with a component they are still making.
   */
  learnMetadata?: boolean;
  /**
   * Where plugins with `permissions.storage` keep their data: a `SqliteBackend` or `RedisBackend`
   * (host/src/storage); by default the SQLite file `$POCKET_HOME/storage/kv.sqlite`, opened at the
   * first write or read.
   */
  storage?: KvBackend;
}

/** Where a plugin's relative directories are: its project folder when one is recognisable. */
function defaultBaseDir(source: string | Uint8Array): string {
  if (typeof source !== 'string') return process.cwd();
  const dir = dirname(resolve(source));
  if (findManifestFile(dir)) return dir;
  if (basename(dir) === 'dist' && findManifestFile(dirname(dir))) return dirname(dir);
  return dir;
}

/** Whether two policies give a plugin the same memory, time, environment, folders and hosts. */
function samePolicy(a: SandboxPolicy, b: SandboxPolicy): boolean {
  const key = (p: SandboxPolicy): string => JSON.stringify([p.memoryBytes, p.timeoutMs, p.env, p.dirs, p.network, p.storage?.buckets, p.storage?.quotaBytes]);
  return key(a) === key(b);
}

/**
 * Load a plugin component from a `.wasm` path or its bytes. A component without the
 * `pocket-wit:plugin` section (built by another toolchain) gets the permissions its `metadata()`
 * declares, learned once per sha256 in the sandbox with nothing granted (`learned-metadata.ts`).
 */
export async function loadPlugin(source: string | Uint8Array, options: LoadOptions = {}): Promise<Plugin> {
  const component = await readComponent(source);
  const transpiled = await transpileComponent(component, options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir });
  // A component without the pocket-wit:plugin section (another toolchain built it) declares its
  // permissions in its metadata: learned once in the sandbox with nothing granted, then cached.
  const learn = options.learnMetadata ?? true;
  const learned = component.section || !learn ? undefined : learnedMetadata(component.sha256, options.cacheDir);
  const learning = !component.section && !learned && learn;
  const declared = component.section?.manifest.permissions ?? learned?.permissions;
  let name = component.section?.manifest.name ?? learned?.name ?? component.source;
  const log = options.log ?? stderrLogSink();
  const baseDir = options.baseDir ?? defaultBaseDir(source);
  // A command plugin (Go) gets no filesystem, environment or network WASI: its policy says so, so
  // `plugin.permissions` (and the CLI's grant line) show what it really gets.
  const grant: PermissionsGrant | undefined =
    transpiled.kind === 'command' ? { ...options.permissions, env: [], filesystem: [], network: [] } : options.permissions;
  const policyFor = (pluginName: string, decl: PermissionsDecl | undefined, granted: PermissionsGrant | undefined): SandboxPolicy =>
    resolvePolicy(pluginName, decl, {
      baseDir,
      ...(granted ? { grant: granted } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.storage ? { storage: options.storage } : {}),
    });
  let policy = policyFor(name, declared, learning ? { ...grant, ...NOTHING_GRANTED } : grant);
  if (!learning) for (const message of policy.warnings) log({ level: 'warn', message, plugin: name });
  const factory = selectRunner(transpiled, options.isolation ?? 'worker', name);
  const startRunner = (p: SandboxPolicy): Promise<PluginRunner> =>
    factory(transpiled, {
      name,
      policy: p,
      log,
      engine: options.engine ?? sharedEngine(),
      ...(options.pool !== undefined ? { poolSize: options.pool } : {}),
    });
  let runner = await startRunner(policy);
  let raw;
  try {
    const host = metadataHost(name, log, policy.callLimits);
    raw = await host.finish(runner.metadata(host));
  } catch (thrown) {
    await runner.close();
    const err = toPluginError(thrown, { plugin: name, phase: 'metadata' });
    throw new PluginError(err.code === 'trap' ? 'invalid-plugin' : err.code, `${name}: metadata() failed: ${err.message}`, { cause: err });
  }
  try {
    checkNodeDefinitions(raw, raw.name || name); // type, category, description: never empty
  } catch (err) {
    await runner.close();
    throw err;
  }
  if (learning) {
    // What it asks for decides what it gets: restart it under that (narrowed by the grant) and
    // its own name, unless both are what it learned under.
    const asked = parseMetadata(raw, `${WIT_PACKAGE}@${transpiled.worldVersion}`, component.source);
    rememberMetadata(component.sha256, asked, options.cacheDir);
    const renamed = asked.name !== name;
    name = asked.name;
    const real = policyFor(name, asked.permissions, grant);
    for (const message of real.warnings) log({ level: 'warn', message, plugin: name });
    if (renamed || !samePolicy(real, policy)) {
      await runner.close();
      runner = await startRunner(real);
    }
    policy = real;
  }
  const world = `${WIT_PACKAGE}@${transpiled.worldVersion}`;
  const metadata = parseMetadata(raw, world, component.source);
  const src = {
    source: component.source,
    sha256: component.sha256,
    worldVersion: transpiled.worldVersion,
    linkedVersion: transpiled.linkVersion,
    transpileCached: transpiled.cached,
    ...(component.section ? { engine: component.section.engine } : {}),
    ...(component.section?.manifest.actions ? { actions: component.section.manifest.actions } : {}),
  };
  return new Plugin(metadata, src, runner, options.log, policy, options.retryCrashed === undefined ? {} : { retryCrashed: options.retryCrashed });
}
