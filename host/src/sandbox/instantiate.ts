/**
 * Instantiating jco's glue: the one place an instance is made from compiled core modules and
 * an import object, on whichever thread runs it (the caller's, a plugin worker, a command worker).
 */
import { PluginError } from '../errors.js';
import { formatBytes } from './format.js';
import type { MemoryPlan, MemoryShare } from './memory-cap.js';

/** The module jco generates with `instantiation: 'sync'` (its `plugin.js`). */
export interface GlueModule {
  instantiate(
    getCoreModule: (path: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
  ): Record<string, unknown>;
}

export interface GlueOptions {
  /**
   * The cap's split (capped compiles, `CompiledModules.memoryPlan`): before each core instance is
   * created, the maxima of its memories are added to those of the instances before it, and the
   * component is refused with `memory-limit` once the sum passes the cap (a core module
   * instantiated more than once).
   */
  memoryPlan?: MemoryPlan | undefined;
  /**
   * Each memory a core instance defines and exports, as soon as that core instance exists (so a
   * failure later in instantiation still knows it), with its share of the cap when capped.
   */
  onMemory?: (memory: WebAssembly.Memory, share: MemoryShare | undefined) => void;
}

/**
 * Instantiate the component: its core modules from `modules`, linked to `imports`, each core
 * instance checked against the memory plan and its memories reported to `onMemory`.
 */
export function instantiateGlue(
  glue: GlueModule,
  modules: Record<string, WebAssembly.Module>,
  imports: Record<string, unknown>,
  plugin: string,
  options: GlueOptions = {},
): Record<string, unknown> {
  const { memoryPlan, onMemory } = options;
  const fileOf = new Map<WebAssembly.Module, string>();
  for (const [file, module] of Object.entries(modules)) fileOf.set(module, file);
  const instances = new Map<string, number>();
  let totalMax = 0;
  const instantiateCore = (module: WebAssembly.Module, moduleImports?: WebAssembly.Imports): WebAssembly.Instance => {
    // Modules that are not the component's (jco's own trampolines) define no memory.
    const file = fileOf.get(module);
    const planned = file === undefined ? undefined : memoryPlan?.modules[file];
    if (file !== undefined) instances.set(file, (instances.get(file) ?? 0) + 1);
    if (memoryPlan && planned && planned.maxBytes > 0) {
      totalMax += planned.maxBytes;
      if (totalMax > memoryPlan.capBytes) {
        const repeated = [...instances].filter(([f, n]) => n > 1 && (memoryPlan.modules[f]?.maxBytes ?? 0) > 0).map(([f, n]) => `${f} ${n} times`);
        throw new PluginError(
          'memory-limit',
          `${plugin}: its memories could grow to ${formatBytes(totalMax)} in all, more than its memory limit of ${formatBytes(memoryPlan.capBytes)}: ` +
            `the limit holds for the whole instance and was split across its memories for one instance of each core module, ` +
            `but the component instantiates ${repeated.length > 0 ? repeated.join(', ') : `${file} again`}; it cannot run under a memory limit (rebuild it so that each core module with a memory is instantiated once)`,
          { context: { plugin } },
        );
      }
    }
    const inst = new WebAssembly.Instance(module, moduleImports);
    if (onMemory) {
      for (const [name, value] of Object.entries(inst.exports)) {
        if (!(value instanceof WebAssembly.Memory)) continue;
        if (planned && !(name in planned.exports)) continue; // an imported memory, re-exported: reported by its owner
        onMemory(value, planned?.exports[name]);
      }
    }
    return inst;
  };
  return glue.instantiate(
    (path) => {
      const module = modules[path];
      if (!module) throw new PluginError('invalid-plugin', `${plugin}: the glue asked for an unknown core module ${path}`);
      return module;
    },
    imports,
    instantiateCore,
  );
}
