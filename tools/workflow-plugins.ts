/**
 * Loading the plugins a workflow can use, shared by `pocket-wit flow` and `pocket-wit graph`:
 * each component found on the plugin search path (plugin-search.ts) is loaded with the grant
 * the host gives it (an installed plugin: integrity-checked, and at most what was consented at
 * install, narrowed by the command's flags), the same component or plugin name found twice is
 * used once (the first found), and the node registry is the built-ins plus every plugin's node
 * types (two plugins offering one type: a node names which, `type: plugin/type`).
 */
import {
  builtinNodeTypes,
  grantForInstalled,
  loadPlugin,
  NodeRegistry,
  WatchedPlugin,
  type LogSink,
  type PermissionsGrant,
  type Plugin,
  type ReloadEvent,
} from '../host/src/index.js';
import { findPluginFiles, pluginSearchPath, shadowNote } from './plugin-search.js';
import type { StepReporter } from './ui/steps.js';

export interface LoadPluginFilesOptions {
  /** Hot reload: each plugin a `WatchedPlugin` (later calls use the file's newest version). */
  watch?: boolean;
  /** What the command grants at most (`--deny-*`, `--timeout`, `--memory`). */
  grant?: PermissionsGrant;
  /** Told of each reload (with `watch`). */
  onReload?: (event: ReloadEvent) => void;
  /** Told (one line) when a later plugin of a name already loaded is dropped. */
  say?: (line: string) => void;
}

/**
 * Load plugin component files, in order; a component found twice (same sha256) is used once, and
 * so is a plugin name (the first; `findPlugins` drops known names before loading, this catches
 * a section-less plugin whose name only its loaded metadata tells).
 */
export async function loadPluginFiles(files: string[], log: LogSink, options: LoadPluginFilesOptions = {}): Promise<{ plugins: (Plugin | WatchedPlugin)[]; files: string[] }> {
  const load = async (file: string): Promise<Plugin> => {
    // An installed plugin: integrity-checked, and granted at most what was consented at install.
    const permissions = await grantForInstalled(file, options.grant);
    return loadPlugin(file, { log, ...(permissions ? { permissions } : {}) });
  };
  const plugins: (Plugin | WatchedPlugin)[] = [];
  const used: string[] = [];
  const seen = new Set<string>();
  const names = new Map<string, string>();
  for (const file of files) {
    const plugin = options.watch ? await WatchedPlugin.open(file, { load, ...(options.onReload ? { onEvent: options.onReload } : {}) }) : await load(file);
    const loaded = 'current' in plugin ? plugin.current : plugin;
    const sha = loaded.source.sha256;
    const first = names.get(loaded.name);
    if (seen.has(sha) || first !== undefined) {
      if (!seen.has(sha) && first !== undefined) options.say?.(shadowNote(loaded.name, { file: first, installed: false }, { file, installed: false }));
      await closePlugins([plugin]); // the same component, or a plugin name, found twice
      continue;
    }
    seen.add(sha);
    names.set(loaded.name, file);
    plugins.push(plugin);
    used.push(file);
  }
  return { plugins, files: used };
}

/** Close plugins loaded by `loadPluginFiles` (their worker threads; a watched one stops watching). */
export async function closePlugins(plugins: (Plugin | WatchedPlugin)[]): Promise<void> {
  for (const p of plugins) {
    if (p instanceof WatchedPlugin) p.close();
    else await p.close();
  }
}

export interface WorkflowPlugins {
  /** Built-ins and every plugin's node types. */
  registry: NodeRegistry;
  plugins: (Plugin | WatchedPlugin)[];
  /** Close every plugin (their worker threads). */
  close(): Promise<void>;
}

/**
 * The registry `flow --check` checks a workflow against (`explicit`: the `--plugins`
 * directories), loaded as it loads it, with nothing more granted; for commands that read a
 * workflow without running it (`graph`).
 */
export async function loadWorkflowPlugins(explicit: string[], steps: StepReporter, log: LogSink, warn: (message: string) => void): Promise<WorkflowPlugins> {
  const found = await findPluginFiles(pluginSearchPath(explicit), steps, explicit, warn);
  const { plugins } = await loadPluginFiles(found, log, { say: warn });
  const close = (): Promise<void> => closePlugins(plugins);
  try {
    const registry = new NodeRegistry(builtinNodeTypes());
    for (const plugin of plugins) registry.addPlugin(plugin);
    return { registry, plugins, close };
  } catch (err) {
    await close();
    throw err;
  }
}
