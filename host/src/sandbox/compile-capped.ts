/**
 * Compiled, capped modules: every core module of a transpiled component, with its memories'
 * maximum set to the plugin's memory limit, compiled once per process and limit. Workers get the
 * compiled modules (a `WebAssembly.Module` crosses threads without recompiling).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginError } from '../errors.js';
import type { TranspiledComponent } from '../transpile.js';
import { capModuleMemory } from './memory-cap.js';
import { formatBytes } from './format.js';
import '../compile.js'; // Node < 22: the extended-const flag, set before anything compiles.

export interface CappedModules {
  modules: Record<string, WebAssembly.Module>;
  /** What the plugin needs at start: the largest initial memory of its modules (bytes). */
  initialBytes: number;
}

const memo = new Map<string, Promise<CappedModules>>();


export function compileCapped(transpiled: TranspiledComponent, memoryBytes: number, name: string): Promise<CappedModules> {
  const key = `${transpiled.dir}|${memoryBytes}`;
  let entry = memo.get(key);
  if (!entry) {
    entry = doCompile(transpiled, memoryBytes);
    memo.set(key, entry);
    entry.catch(() => memo.delete(key));
  }
  return entry.then((capped) => {
    if (capped.initialBytes > memoryBytes) {
      throw new PluginError(
        'memory-limit',
        `${name} needs ${formatBytes(capped.initialBytes)} of memory at start, more than its memory limit of ${formatBytes(memoryBytes)}; set permissions.memory to at least ${Math.ceil(capped.initialBytes / 1024 / 1024)}MB (or grant more)`,
      );
    }
    return capped;
  });
}

async function doCompile(transpiled: TranspiledComponent, memoryBytes: number): Promise<CappedModules> {
  const source = transpiled.component.source;
  const modules: Record<string, WebAssembly.Module> = {};
  let initialBytes = 0;
  await Promise.all(
    transpiled.coreFiles.map(async (file) => {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        const capped = capModuleMemory(await readFile(join(transpiled.dir, file)), memoryBytes);
        initialBytes = Math.max(initialBytes, capped.initialBytes);
        bytes = capped.bytes;
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
  return { modules, initialBytes };
}
