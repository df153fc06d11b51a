/**
 * Stage 3, compiled modules: the `Engine` (in wasmtime's sense) compiles a transpiled
 * component's core modules, with or without a memory cap, and caches them while any plugin uses
 * them. A `WebAssembly.Module` crosses to worker threads without recompiling, so one compile
 * serves every worker of a plugin, and every plugin loaded from the same component and cap.
 *
 * The engine owns its cache: each `compile` is a lease, released when the runner closes; the
 * last release evicts the entry. `loadPlugin` uses the process's shared engine unless given one.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { PluginError } from '../errors.js';
import type { TranspiledComponent } from '../transpile.js';
import { formatBytes } from './format.js';
import type { GlueModule } from './instantiate.js';
import { capModuleMemory } from './memory-cap.js';

// QuickJS-built components use the extended-const proposal, on by default from Node 22. The flag
// also applies to worker threads started afterwards.
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-extended-const');

/** A component's core modules, compiled (memories capped when a cap was asked for). */
export interface CompiledModules {
  transpiled: TranspiledComponent;
  /** Compiled core modules by the names the glue asks for. */
  modules: Record<string, WebAssembly.Module>;
  /** What the plugin needs at start: the largest initial memory of its modules (bytes). */
  initialBytes: number;
  /** The cap the memories were rewritten to, if any. */
  memoryBytes: number | undefined;
  /** Give the lease back (the runner closed); the last one evicts the cache entry. */
  release(): void;
}

interface Entry {
  compiled: Promise<Omit<CompiledModules, 'release'>>;
  leases: number;
}

export class Engine {
  readonly #cache = new Map<string, Entry>();

  /**
   * Compile every core module of `transpiled`; with `memoryBytes`, each memory's maximum is set
   * to it first, and a module needing more than that at start fails with `memory-limit`.
   */
  async compile(transpiled: TranspiledComponent, options: { memoryBytes?: number; name?: string } = {}): Promise<CompiledModules> {
    const { memoryBytes } = options;
    const key = `${transpiled.dir}|${memoryBytes ?? 'uncapped'}`;
    let entry = this.#cache.get(key);
    if (!entry) {
      const created: Entry = { compiled: compileModules(transpiled, memoryBytes), leases: 0 };
      this.#cache.set(key, created);
      created.compiled.catch(() => {
        if (this.#cache.get(key) === created) this.#cache.delete(key);
      });
      entry = created;
    }
    entry.leases++;
    const held = entry;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (--held.leases === 0 && this.#cache.get(key) === held) this.#cache.delete(key);
    };
    try {
      const compiled = await held.compiled;
      if (memoryBytes !== undefined && compiled.initialBytes > memoryBytes) {
        const name = options.name ?? transpiled.component.source;
        throw new PluginError(
          'memory-limit',
          `${name} needs ${formatBytes(compiled.initialBytes)} of memory at start, more than its memory limit of ${formatBytes(memoryBytes)}; set permissions.memory to at least ${Math.ceil(compiled.initialBytes / 1024 / 1024)}MB (or grant more)`,
        );
      }
      return { ...compiled, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Load a component's JS glue on this thread (the in-process runner's). */
  async glue(transpiled: TranspiledComponent): Promise<GlueModule> {
    return (await import(pathToFileURL(transpiled.entry).href)) as GlueModule;
  }

  /** How many compiled components the cache holds (for tests and diagnostics). */
  get cached(): number {
    return this.#cache.size;
  }

  /** Drop every cached compile (leases still held keep their modules alive). */
  clear(): void {
    this.#cache.clear();
  }
}

let shared: Engine | undefined;

/** The process's shared engine, used by `loadPlugin` unless it is given its own. */
export function sharedEngine(): Engine {
  return (shared ??= new Engine());
}

async function compileModules(transpiled: TranspiledComponent, memoryBytes: number | undefined): Promise<Omit<CompiledModules, 'release'>> {
  const source = transpiled.component.source;
  const modules: Record<string, WebAssembly.Module> = {};
  let initialBytes = 0;
  await Promise.all(
    transpiled.coreFiles.map(async (file) => {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = new Uint8Array(await readFile(join(transpiled.dir, file)));
        if (memoryBytes !== undefined) {
          const capped = capModuleMemory(bytes, memoryBytes);
          initialBytes = Math.max(initialBytes, capped.initialBytes);
          bytes = capped.bytes;
        }
      } catch (cause) {
        throw new PluginError('invalid-plugin', `${source}: core module ${file} cannot be read: ${(cause as Error).message}`, { cause });
      }
      try {
        modules[file] = await WebAssembly.compile(bytes);
      } catch (cause) {
        throw new PluginError('invalid-plugin', `${source}: a core module failed to compile: ${(cause as Error).message}`, { cause });
      }
    }),
  );
  return { transpiled, modules, initialBytes, memoryBytes };
}
