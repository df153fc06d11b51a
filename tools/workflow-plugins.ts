/**
 * The node registry a workflow is checked against, found the way `pocket-wit flow` finds it:
 * the plugin search path (`--plugins` directories first, see plugin-search.ts), each component
 * loaded with the grant `flow --check` gives it (an installed plugin: integrity-checked and at
 * most what was consented at install), the same component found twice used once, and the
 * built-in node types. For commands that read a workflow without running it (`graph`).
 */
import { builtinNodeTypes, grantForInstalled, loadPlugin, NodeRegistry, type LogSink, type Plugin } from '../host/src/index.js';
import { findPluginFiles, pluginSearchPath } from './plugin-search.js';
import type { StepReporter } from './ui/steps.js';

export interface WorkflowPlugins {
  /** Built-ins and every plugin's node types. */
  registry: NodeRegistry;
  plugins: Plugin[];
  /** Close every plugin (their worker threads). */
  close(): Promise<void>;
}

/** Load the plugins `flow` would (`explicit`: the `--plugins` directories) into a registry with the built-ins. */
export async function loadWorkflowPlugins(explicit: string[], steps: StepReporter, log: LogSink, warn: (message: string) => void): Promise<WorkflowPlugins> {
  const files = await findPluginFiles(pluginSearchPath(explicit), steps, explicit, warn);
  const plugins: Plugin[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(plugins.map((p) => p.close()));
  };
  const seen = new Set<string>();
  try {
    for (const file of files) {
      const permissions = await grantForInstalled(file);
      const plugin = await loadPlugin(file, { log, ...(permissions ? { permissions } : {}) });
      if (seen.has(plugin.source.sha256)) {
        await plugin.close(); // the same component found twice
        continue;
      }
      seen.add(plugin.source.sha256);
      plugins.push(plugin);
    }
    const registry = new NodeRegistry(builtinNodeTypes());
    for (const plugin of plugins) registry.addPlugin(plugin);
    return { registry, plugins, close };
  } catch (err) {
    await close();
    throw err;
  }
}
