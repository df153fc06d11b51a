/**
 * Instantiating jco's glue: the one place an instance is made from compiled core modules and
 * an import object, on whichever thread runs it (the caller's, a plugin worker, a command worker).
 */
import { PluginError } from '../errors.js';

/** The module jco generates with `instantiation: 'sync'` (its `plugin.js`). */
export interface GlueModule {
  instantiate(
    getCoreModule: (path: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
  ): Record<string, unknown>;
}

/**
 * Instantiate the component: its core modules from `modules`, linked to `imports`. Every memory
 * a core instance exports is reported to `onMemory` (the sandbox watches them against the cap).
 */
export function instantiateGlue(
  glue: GlueModule,
  modules: Record<string, WebAssembly.Module>,
  imports: Record<string, unknown>,
  plugin: string,
  onMemory?: (memory: WebAssembly.Memory) => void,
): Record<string, unknown> {
  return glue.instantiate(
    (path) => {
      const module = modules[path];
      if (!module) throw new PluginError('invalid-plugin', `${plugin}: the glue asked for an unknown core module ${path}`);
      return module;
    },
    imports,
    onMemory
      ? (module, moduleImports) => {
          const inst = new WebAssembly.Instance(module, moduleImports);
          for (const value of Object.values(inst.exports)) if (value instanceof WebAssembly.Memory) onMemory(value);
          return inst;
        }
      : undefined,
  );
}
