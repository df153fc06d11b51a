/**
 * What a workflow node can be: a node type offered by a loaded plugin, or a built-in. Both have
 * the same shape (prep / exec / post), so the engine does not care which it runs.
 */
import { didYouMean } from '../did-you-mean.js';
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
  /**
   * The actions its `post` can return with this config (defaults applied), besides `default`
   * (always accepted); undefined when it can return any. Connections are checked against them.
   */
  actions?(config: Record<string, unknown>): string[] | undefined;
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
    const declared = plugin.source.actions?.[def.type];
    if (declared) nodeType.actions = () => [...declared, 'default'];
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

/** What `NodeRegistry.lookup` found for a node's `type` (and `plugin`): the node type, or why none. */
export type NodeLookup = { type: NodeType; problem?: undefined } | { type?: undefined; problem: string; kind: 'unknown' | 'ambiguous' | 'no-plugin' | 'conflict' };

/**
 * Every node type a run can use. A node names one by `type` alone, or qualified by the plugin
 * offering it: `type: greeter/greet`, or `type: greet` with `plugin: greeter`. Built-in types
 * cannot be offered by a plugin (adding one that is is an error naming both). Two different
 * plugins may offer the same type: only an unqualified use of it is an error (`lookup`), naming
 * both and how to qualify. The same plugin name offering the same type twice is an error.
 */
export class NodeRegistry {
  readonly #builtins = new Map<string, NodeType>();
  /** Plugin node types by unqualified name, in the order their plugins were added. */
  readonly #offered = new Map<string, NodeType[]>();
  /** Plugin node types by `plugin/type`. */
  readonly #qualified = new Map<string, NodeType>();
  /** The plugins whose node types are here (for "searched" in messages). */
  readonly plugins: { name: string; version: string; source: string }[] = [];

  constructor(types: NodeType[] = []) {
    for (const t of types) this.add(t);
  }

  add(type: NodeType): void {
    const twice = (existing: NodeType): PluginError =>
      new PluginError('invalid-workflow', `node type "${type.type}" is defined twice: by ${existing.source} and by ${type.source}`);
    const builtin = this.#builtins.get(type.type);
    if (builtin) throw twice(builtin);
    if (type.plugin === undefined) {
      const offered = this.#offered.get(type.type)?.[0];
      if (offered) throw twice(offered);
      this.#builtins.set(type.type, type);
      return;
    }
    const key = `${type.plugin}/${type.type}`;
    const existing = this.#qualified.get(key);
    if (existing) throw twice(existing);
    this.#qualified.set(key, type);
    this.#offered.set(type.type, [...(this.#offered.get(type.type) ?? []), type]);
  }

  addPlugin(source: Plugin | WatchedPlugin): void {
    const plugin = 'current' in source ? source.current : source;
    for (const t of pluginNodeTypes(source)) this.add(t);
    this.plugins.push({ name: plugin.name, version: plugin.metadata.version, source: plugin.source.source });
  }

  /**
   * The node type `type` names (`greet`, or qualified `greeter/greet`), or offered by plugin
   * `plugin` when given; undefined when there is none or an unqualified name is ambiguous
   * (`lookup` says which).
   */
  get(type: string, plugin?: string): NodeType | undefined {
    return this.lookup(type, plugin).type;
  }

  /**
   * The node type a workflow node names, or a one-line problem (for node `node` when given):
   * unknown (with the closest names), offered by two or more plugins (how to qualify), a plugin
   * not loaded, or a `plugin:` that disagrees with a qualified `type`. An exact unqualified name
   * comes first, so a type whose own name has a `/` is still found.
   */
  lookup(type: string, plugin?: string, node?: string): NodeLookup {
    const at = node === undefined ? '' : `node "${node}": `;
    let name = type;
    let from = plugin;
    const slash = type.indexOf('/');
    if (slash > 0 && !this.#builtins.has(type) && !this.#offered.has(type)) {
      const named = type.slice(0, slash);
      if (from !== undefined && from !== named) {
        return { kind: 'conflict', problem: `${at}type "${type}" names plugin ${named}, but plugin: ${from} names another; keep one of them` };
      }
      from = named;
      name = type.slice(slash + 1);
    }
    if (from !== undefined) {
      const found = this.#qualified.get(`${from}/${name}`);
      if (found) return { type: found };
      const names = [...new Set([...this.plugins.map((p) => p.name), ...[...this.#qualified.values()].map((t) => t.plugin!)])];
      if (!names.includes(from)) {
        return { kind: 'no-plugin', problem: `${at}no plugin named ${from}${didYouMean(from, names)} was found for node type "${name}"; plugins searched: ${this.#searched()}` };
      }
      const own = [...this.#qualified.values()].filter((t) => t.plugin === from).map((t) => t.type);
      return { kind: 'unknown', problem: `${at}plugin ${from} offers no node type "${name}"${didYouMean(name, own)}; it offers: ${own.join(', ') || 'none'}` };
    }
    const builtin = this.#builtins.get(name);
    if (builtin) return { type: builtin };
    const offered = this.#offered.get(name) ?? [];
    if (offered.length === 1) return { type: offered[0]! };
    if (offered.length > 1) {
      const by = offered.map((t) => t.plugin!);
      const list = by.length === 2 ? `${by[0]} and ${by[1]}` : `${by.slice(0, -1).join(', ')} and ${by.at(-1)}`;
      return { kind: 'ambiguous', problem: `${at}node type "${name}" is offered by plugins ${list}; write type: ${by[0]}/${name} (or plugin: ${by[0]})` };
    }
    const candidates = [...this.#builtins.keys(), ...this.#offered.keys()];
    return {
      kind: 'unknown',
      problem: `unknown node type "${type}"${node === undefined ? '' : ` in node "${node}"`}${didYouMean(type, candidates)}; not a built-in and not offered by any plugin searched: ${this.#searched()}`,
    };
  }

  /** The plugins searched, for messages: `name (source), …`, or `none loaded`. */
  #searched(): string {
    return this.plugins.length ? this.plugins.map((p) => `${p.name} (${p.source})`).join(', ') : 'none loaded';
  }

  /** Every node type name: built-ins, then plugin types (unqualified, each once). */
  get types(): string[] {
    return [...this.#builtins.keys(), ...this.#offered.keys()];
  }

  /** Every plugin node type as `plugin/type`. */
  get qualifiedTypes(): string[] {
    return [...this.#qualified.keys()];
  }
}
