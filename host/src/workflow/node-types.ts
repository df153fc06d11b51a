/**
 * What a workflow node can be: a node type offered by a loaded plugin, or a built-in. Both have
 * the same shape (prep / exec / post), so the engine does not care which it runs.
 */
import { PluginError } from '../errors.js';
import type { HostCallEvent, LogSink, SharedStore } from '../host-api.js';
import type { JsonSchema } from '../metadata.js';
import type { Plugin } from '../plugin.js';
import type { WatchedPlugin } from '../hot-reload.js';

/** What a node's phases get besides their data. */
export interface NodeRunContext {
  /** The node's config from the workflow (`{}` when none). */
  config: Record<string, unknown>;
  /** The run's shared store. */
  store: SharedStore;
  /** The node's name in the workflow. */
  node: string;
  log: LogSink;
  /** Aborted when the node's timeout passes or the run is cancelled. */
  signal: AbortSignal;
  /** Polled form of `signal` that also notices a passed deadline during a synchronous call. */
  cancelled: () => boolean;
  /** The clock plugins see. */
  now?: () => number;
  /** Told when a plugin phase call is retried on a fresh instance after its instance died. */
  onRetry?: (phase: string, failure: PluginError) => void;
  /** Told of every store call and log record a plugin node makes (the engine traces them). */
  onHostCall?: (event: HostCallEvent) => void;
  /**
   * Run a node type (with a config) on an input inside this run: same store, same registry.
   * Built-ins such as `parallel` use it.
   */
  runChild(type: string, config: Record<string, unknown>, input: unknown, name: string): Promise<{ output: unknown; next: string }>;
  /** The directory of the workflow file (for relative paths, e.g. nested flows). */
  baseDir: string;
  /** Run a workflow file (relative to this one) on an input, sharing this run's store and step count. */
  runFlow(path: string, input: unknown): Promise<{ output: unknown; path: string[]; action: string }>;
}

/** A node type, ready to run. */
export interface NodeType {
  type: string;
  /** Where it comes from, for messages: `built-in`, or `plugin <name> (<path>)`. */
  source: string;
  /** The plugin's name when it comes from one. */
  plugin?: string;
  description?: string;
  /** JSON Schema of the config; the workflow's config is checked against it before running. */
  configSchema?: JsonSchema;
  /** Extra config checks no schema can express (e.g. a nested flow's file exists). */
  validateConfig?(config: Record<string, unknown>, baseDir: string, registry?: NodeRegistry): string[];
  prep(input: unknown, ctx: NodeRunContext): Promise<unknown>;
  exec(prepResult: unknown, ctx: NodeRunContext): Promise<unknown>;
  post(input: unknown, prepResult: unknown, execResult: unknown, ctx: NodeRunContext): Promise<{ output: unknown; next: string }>;
}

/**
 * The node types of one plugin. Given a watched plugin, every call goes to its current version
 * (hot reload); the types offered are those of the version first loaded.
 */
export function pluginNodeTypes(source: Plugin | WatchedPlugin): NodeType[] {
  const now = (): Plugin => ('current' in source ? source.current : source);
  const plugin = now(); // the node types offered are those of the version loaded first
  return plugin.metadata.nodes.map((def) => {
    const call = (ctx: NodeRunContext) => ({
      config: ctx.config,
      store: ctx.store,
      log: ctx.log,
      cancelled: ctx.cancelled,
      signal: ctx.signal,
      ...(ctx.now ? { now: ctx.now } : {}),
      ...(ctx.onRetry ? { onRetry: ctx.onRetry } : {}),
      ...(ctx.onHostCall ? { onHostCall: ctx.onHostCall } : {}),
    });
    const nodeType: NodeType = {
      type: def.type,
      source: `plugin ${plugin.name} (${plugin.source.source})`,
      plugin: plugin.name,
      description: def.description,
      // A node visit pins the version its prep ran on, so a reload never splits one visit.
      prep: (input, ctx) => pin(ctx, now()).prep(def.type, input, call(ctx)),
      exec: (prep, ctx) => pinned(ctx, now()).exec(def.type, prep, call(ctx)),
      post: (input, prep, exec, ctx) => pinned(ctx, now()).post(def.type, input, prep, exec, call(ctx)),
    };
    if (def.configSchema) nodeType.configSchema = def.configSchema;
    return nodeType;
  });
}

const pins = new WeakMap<NodeRunContext, Plugin>();
function pin(ctx: NodeRunContext, plugin: Plugin): Plugin {
  pins.set(ctx, plugin);
  return plugin;
}
function pinned(ctx: NodeRunContext, fallback: Plugin): Plugin {
  return pins.get(ctx) ?? fallback;
}

/** Every node type a run can use, by name; a name defined twice is an error naming both. */
export class NodeRegistry {
  readonly #types = new Map<string, NodeType>();
  /** The plugins whose node types are here (for "searched" in messages). */
  readonly plugins: { name: string; version: string; source: string }[] = [];

  constructor(types: NodeType[] = []) {
    for (const t of types) this.add(t);
  }

  add(type: NodeType): void {
    const existing = this.#types.get(type.type);
    if (existing) {
      throw new PluginError('invalid-workflow', `node type "${type.type}" is defined twice: by ${existing.source} and by ${type.source}`);
    }
    this.#types.set(type.type, type);
  }

  addPlugin(source: Plugin | WatchedPlugin): void {
    const plugin = 'current' in source ? source.current : source;
    for (const t of pluginNodeTypes(source)) this.add(t);
    this.plugins.push({ name: plugin.name, version: plugin.metadata.version, source: plugin.source.source });
  }

  get(type: string): NodeType | undefined {
    return this.#types.get(type);
  }

  get types(): string[] {
    return [...this.#types.keys()];
  }
}
