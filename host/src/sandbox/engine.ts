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
import { planMemoryCap, readModuleMemories, rewriteMemoryMaxima, SIDE_MEMORY_ALLOWANCE_BYTES, WASM_PAGE, type MemoryPlan } from './memory-cap.js';

// QuickJS-built components use the extended-const proposal, on by default from Node 22. The flag
// also applies to worker threads started afterwards.
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-extended-const');

/** A component's core modules, compiled (memories capped when a cap was asked for). */
export interface CompiledModules {
  transpiled: TranspiledComponent;
  /** Compiled core modules by the names the glue asks for. */
  modules: Record<string, WebAssembly.Module>;
  /**
   * What the plugin needs at start under its cap (bytes): its main memory's initial size plus
   * every other memory's share (`memory-cap.ts`); 0 when uncapped.
   */
  initialBytes: number;
  /** The cap the memories were split under, if any. */
  memoryBytes: number | undefined;
  /** How the cap was split (each module's memories' maxima), when capped: instances are checked against it. */
  memoryPlan: MemoryPlan | undefined;
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
   * Compile every core module of `transpiled`; with `memoryBytes`, the cap is first split across
   * the memories the modules define (their maxima add up to at most the cap), and a component
   * needing more than that at start fails with `memory-limit`.
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
      if (compiled.memoryPlan && !compiled.memoryPlan.fits) {
        const name = options.name ?? transpiled.component.source;
        const { memoryCount } = compiled.memoryPlan;
        const split =
          memoryCount > 1
            ? `; the limit holds for all ${memoryCount} of its memories together: its main memory's initial size, plus each other memory's initial size and ${formatBytes(SIDE_MEMORY_ALLOWANCE_BYTES)}`
            : '';
        const pages = compiled.initialBytes <= memoryBytes! ? ` (memory comes in whole 64 KB pages: the limit is rounded down to ${formatBytes(Math.floor(memoryBytes! / WASM_PAGE) * WASM_PAGE)})` : '';
        throw new PluginError(
          'memory-limit',
          `${name} needs ${formatBytes(compiled.initialBytes)} of memory at start, more than its memory limit of ${formatBytes(memoryBytes!)}${pages}; set permissions.memory to at least ${Math.ceil(compiled.initialBytes / 1024 / 1024)}MB (or grant more)${split}`,
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
  const files = await Promise.all(
    transpiled.coreFiles.map(async (file) => {
      try {
        return { file, bytes: new Uint8Array(await readFile(join(transpiled.dir, file))) };
      } catch (cause) {
        throw new PluginError('invalid-plugin', `${source}: core module ${file} cannot be read: ${(cause as Error).message}`, { cause });
      }
    }),
  );
  // With a cap: one split of it across every memory the modules define (memory-cap.ts).
  let memoryPlan: MemoryPlan | undefined;
  let initialBytes = 0;
  if (memoryBytes !== undefined) {
    const read = files.map(({ file, bytes }) => {
      try {
        return { file, memories: readModuleMemories(bytes) };
      } catch (cause) {
        throw new PluginError('invalid-plugin', `${source}: core module ${file} cannot be read: ${(cause as Error).message}`, { cause });
      }
    });
    memoryPlan = planMemoryCap(read, memoryBytes);
    initialBytes = memoryPlan.neededBytes;
  }
  const modules: Record<string, WebAssembly.Module> = {};
  await Promise.all(
    files.map(async ({ file, bytes }) => {
      let code: Uint8Array<ArrayBuffer> = bytes;
      if (memoryPlan) code = rewriteMemoryMaxima(bytes, memoryPlan.modules[file]!.memories.map((m) => m.maxBytes));
      try {
        modules[file] = await WebAssembly.compile(code);
      } catch (cause) {
        throw new PluginError('invalid-plugin', `${source}: a core module failed to compile: ${(cause as Error).message}`, { cause });
      }
    }),
  );
  return { transpiled, modules, initialBytes, memoryBytes, memoryPlan };
}
