/**
 * `loadPlugin`: the whole pipeline from a file (or bytes) to a typed plugin:
 * component bytes → transpiled module (disk cache) → compiled module → runner with linked
 * instances → metadata → Plugin.
 */
import { readComponent } from './component.js';
import { PluginError } from './errors.js';
import { metadataHost, stderrLogSink, type LogSink } from './host-api.js';
import { parseMetadata } from './metadata.js';
import { Plugin } from './plugin.js';
import { toPluginError, type PluginRunner } from './runner.js';
import { transpileComponent } from './transpile.js';
import { WIT_PACKAGE } from './wit-world.js';
import { sharedEngine, type Engine } from './sandbox/engine.js';
import { resolvePolicy, type PermissionsGrant, type SandboxPolicy, type SizeLimits } from './sandbox/policy.js';
import { selectRunner, type Isolation } from './sandbox/runners.js';
import { findManifestFile } from './manifest.js';
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
}

/** Where a plugin's relative directories are: its project folder when one is recognisable. */
function defaultBaseDir(source: string | Uint8Array): string {
  if (typeof source !== 'string') return process.cwd();
  const dir = dirname(resolve(source));
  if (findManifestFile(dir)) return dir;
  if (basename(dir) === 'dist' && findManifestFile(dirname(dir))) return dirname(dir);
  return dir;
}

/** Load a plugin component from a `.wasm` path or its bytes. */
export async function loadPlugin(source: string | Uint8Array, options: LoadOptions = {}): Promise<Plugin> {
  const component = await readComponent(source);
  const transpiled = await transpileComponent(component, options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir });
  const name = component.section?.manifest.name ?? component.source;
  // A command plugin (Go) gets no filesystem, environment or network WASI: its policy says so, so
  // `plugin.permissions` (and the CLI's grant line) show what it really gets.
  const grant: PermissionsGrant | undefined =
    transpiled.kind === 'command' ? { ...options.permissions, env: [], filesystem: [], network: [] } : options.permissions;
  const policy: SandboxPolicy = resolvePolicy(name, component.section?.manifest.permissions, {
    baseDir: options.baseDir ?? defaultBaseDir(source),
    ...(grant ? { grant } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const log = options.log ?? stderrLogSink();
  for (const message of policy.warnings) log({ level: 'warn', message, plugin: name });
  const factory = selectRunner(transpiled, options.isolation ?? 'worker', name);
  const runner: PluginRunner = await factory(transpiled, {
    name,
    policy,
    log,
    engine: options.engine ?? sharedEngine(),
    ...(options.pool !== undefined ? { poolSize: options.pool } : {}),
  });
  let raw;
  try {
    const host = metadataHost(name, log, policy.callLimits);
    raw = await host.finish(runner.metadata(host));
  } catch (thrown) {
    await runner.close();
    const err = toPluginError(thrown, { plugin: name, phase: 'metadata' });
    throw new PluginError(err.code === 'trap' ? 'invalid-plugin' : err.code, `${name}: metadata() failed: ${err.message}`, { cause: err });
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
  };
  return new Plugin(metadata, src, runner, options.log, policy, options.retryCrashed === undefined ? {} : { retryCrashed: options.retryCrashed });
}
