/**
 * `loadPlugin`: the whole pipeline from a file (or bytes) to a typed plugin:
 * component bytes → transpiled module (disk cache) → compiled module → runner with linked
 * instances → metadata → Plugin.
 */
import { commandRunner } from './command-runner.js';
import { compileComponent } from './compile.js';
import { readComponent } from './component.js';
import { PluginError } from './errors.js';
import type { LogSink } from './host-api.js';
import { parseMetadata } from './metadata.js';
import { Plugin } from './plugin.js';
import { inProcessRunner, toPluginError, type RunnerFactory } from './runner.js';
import { transpileComponent } from './transpile.js';
import { WIT_PACKAGE } from './wit-world.js';

export interface LoadOptions {
  /** Folder for transpiled components; see `defaultCacheDir()`. */
  cacheDir?: string;
  /** Where plugin log lines go unless a call says otherwise; stderr by default. */
  log?: LogSink;
  /** How instances are run; in-process by default. */
  runner?: RunnerFactory;
}

/** Load a plugin component from a `.wasm` path or its bytes. */
export async function loadPlugin(source: string | Uint8Array, options: LoadOptions = {}): Promise<Plugin> {
  const component = await readComponent(source);
  const transpiled = await transpileComponent(component, options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir });
  const name = component.section?.manifest.name ?? component.source;
  // A command plugin (world pocket:plugin/command, e.g. Go) always runs long-lived in its own
  // worker; `options.runner` applies to components of the plugin world.
  const runner =
    transpiled.kind === 'command'
      ? await commandRunner(transpiled, { name })
      : await (options.runner ?? inProcessRunner)(await compileComponent(transpiled), { name });
  let raw;
  try {
    raw = await runner.metadata();
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
    transpileCached: transpiled.cached,
    ...(component.section ? { engine: component.section.engine } : {}),
  };
  return new Plugin(metadata, src, runner, options.log);
}
