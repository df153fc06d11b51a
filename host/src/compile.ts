/**
 * Stage 3: compiled module. Loads the transpiled JS glue and compiles every core wasm module
 * once per process; the result can be instantiated many times, cheaply and synchronously.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type * as NodeInterface from './generated/wit/v0.2.0/interfaces/pocket-plugin-node.js';
import { PluginError } from './errors.js';
import type { TranspiledComponent } from './transpile.js';

/** The exports of one plugin instance (the `pocket:plugin/node` interface). */
export type NodeExports = typeof NodeInterface;

/** The module jco generates with `instantiation: 'sync'` (its `plugin.js`). */
export interface GlueModule {
  instantiate(
    getCoreModule: (path: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
  ): Record<string, unknown>;
}

export interface CompiledComponent {
  transpiled: TranspiledComponent;
  /** Create a fresh instance linked to `imports`. Synchronous and repeatable. */
  instantiate(imports: Record<string, unknown>): NodeExports;
}

// QuickJS-built components use the extended-const proposal, on by default from Node 22.
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-extended-const');

const compiled = new Map<string, Promise<CompiledComponent>>();

/** Compile a transpiled component (memoized per component hash in this process). */
export function compileComponent(transpiled: TranspiledComponent): Promise<CompiledComponent> {
  const key = transpiled.dir;
  let entry = compiled.get(key);
  if (!entry) {
    entry = doCompile(transpiled);
    compiled.set(key, entry);
    entry.catch(() => compiled.delete(key));
  }
  return entry;
}

async function doCompile(transpiled: TranspiledComponent): Promise<CompiledComponent> {
  const source = transpiled.component.source;
  const modules = new Map<string, WebAssembly.Module>();
  try {
    await Promise.all(
      transpiled.coreFiles.map(async (file) => {
        modules.set(file, await WebAssembly.compile(await readFile(join(transpiled.dir, file))));
      }),
    );
  } catch (cause) {
    throw new PluginError('invalid-plugin', `${source}: a core module failed to compile: ${(cause as Error).message}`, { cause });
  }
  const glue = (await import(pathToFileURL(transpiled.entry).href)) as GlueModule;
  return {
    transpiled,
    instantiate(imports) {
      const exports = glue.instantiate((path) => {
        const module = modules.get(path);
        if (!module) throw new PluginError('invalid-plugin', `${source}: the glue asked for an unknown core module ${path}`);
        return module;
      }, imports);
      const node = exports.node as NodeExports | undefined;
      if (!node) throw new PluginError('incompatible', `${source} does not export the pocket:plugin/node interface`);
      return node;
    },
  };
}
