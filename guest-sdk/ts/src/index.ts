/**
 * pocket-wit/guest: write Pocket workflow nodes in TypeScript.
 *
 * ```ts
 * import { definePlugin, Type } from 'pocket-wit/guest';
 * export default definePlugin({ nodes: [{ type: 'hello', category: 'demo', description: '...',
 *   input: Type.Object({ name: Type.String() }),
 *   exec(input) { return { greeting: `Hello, ${input.name}!` }; } }] });
 * ```
 *
 * Types of `input`, `config`, and each phase's result are inferred from the typebox schemas and
 * the functions. `pocket-wit build` bundles the plugin with this SDK into one component.
 */
import { Type, type Static, type TSchema } from 'typebox';

export { Type };
export type { Static, TSchema };

/** Error codes a plugin may return (the WIT `error-code` enum). */
export type NodeErrorCode = 'plugin-error' | 'invalid-input' | 'not-found' | 'permission-denied';

/** Throw this to fail a phase with a specific code; any other thrown Error is a `plugin-error`. */
export class NodeError extends Error {
  override name = 'NodeError';
  readonly code: NodeErrorCode;
  readonly details?: unknown;
  constructor(code: NodeErrorCode, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** Structured logging into the host's logger. */
export interface NodeLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The workflow's shared store (JSON values). Writable in `prep` and `post`; in `exec` (which may
 * be retried) `set` and `delete` fail with `permission-denied`, as the host refuses such writes
 * from plugins in every language.
 */
export interface NodeStore {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): boolean;
}

/** `ctx.env`: the host environment variables the plugin's `permissions.env` lists. */
export interface NodeEnv {
  /**
   * The variable's value, or `undefined` when the host does not set it (or withholds it).
   * Throws a `permission-denied` {@link NodeError} for a name not in `permissions.env`.
   */
  get(name: string): string | undefined;
}

/**
 * `ctx.fs`: files in the directories the plugin's `permissions.filesystem` lists. A manifest
 * entry `./data` is the directory `/data` to the plugin, `./out:rw` is `/out` (writable); paths
 * may also be written without the leading `/`. Text is UTF-8.
 */
export interface NodeFiles {
  /** The whole file as text. `not-found` when it does not exist. */
  readText(path: string): string;
  /** Create or replace the file. `permission-denied` in a read-only directory. */
  writeText(path: string, text: string): void;
  /** The names in a directory, sorted. */
  list(dir: string): string[];
}

/**
 * One storage bucket (`wasi:keyvalue`), kept across runs and processes in the host's database.
 * `get`/`set` store JSON; `getText`/`setText` and `getBytes`/`setBytes` store text or bytes.
 * A write past the plugin's quota fails with `permission-denied`.
 */
export interface NodeKvBucket {
  readonly name: string;
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  getText(key: string): string | undefined;
  setText(key: string, text: string): void;
  getBytes(key: string): Uint8Array | undefined;
  setBytes(key: string, value: Uint8Array): void;
  delete(key: string): void;
  has(key: string): boolean;
  /** Every key of the bucket, in byte order. */
  keys(): string[];
  /** Adds `delta` (default 1) to the counter at `key` (absent: 0) atomically, across calls, threads and processes; the new value. */
  increment(key: string, delta?: number): number;
}

/**
 * `ctx.kv`: persistent storage granted by `permissions.storage`. Its methods act on the first
 * bucket the manifest names; `bucket(name)` opens another one it names.
 */
export interface NodeKv extends Omit<NodeKvBucket, 'name'> {
  bucket(name?: string): NodeKvBucket;
}

/** Options of {@link NodeContext.fetch}. */
export interface FetchInit {
  /** `GET` by default. */
  method?: string;
  headers?: Record<string, string>;
  /** Sent as UTF-8. */
  body?: string;
}

/** The answer to {@link NodeContext.fetch}; the body has been read in full. */
export interface FetchResponse {
  readonly status: number;
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** Header names in lower case; repeated headers joined with `, `. */
  readonly headers: Record<string, string>;
  text(): string;
  /** The body parsed as JSON; a `plugin-error` when it is not JSON. */
  json<T = unknown>(): T;
}

/** What every phase receives besides its data. */
export interface NodeContext<Config = Record<string, unknown>> {
  /** The node's config, validated by the host against the config schema, with its defaults applied (at every depth). */
  readonly config: Config;
  /** The node type being run. */
  readonly nodeType: string;
  readonly log: NodeLogger;
  readonly store: NodeStore;
  /**
   * Whether the host asks this call to stop early (the node's timeout has passed, or the run
   * was cancelled). Long loops should poll it and return or throw. Always `false` in a plugin
   * built for `pocket:plugin@0.1.0`.
   */
  cancelled(): boolean;
  /** Environment variables granted by `permissions.env`. */
  readonly env: NodeEnv;
  /** Files in the directories granted by `permissions.filesystem`. */
  readonly fs: NodeFiles;
  /**
   * An HTTP(S) request to a host granted by `permissions.network`. Synchronous (node phases
   * are): it returns once the whole response has arrived. A host outside the permissions fails
   * with `permission-denied`.
   */
  fetch(url: string, init?: FetchInit): FetchResponse;
  /** Persistent key/value storage granted by `permissions.storage` (docs/STORAGE.md). */
  readonly kv: NodeKv;
}

/** What `post` returns: the node's output and the action that picks the next node. */
export interface PostOutcome<O = unknown> {
  output: O;
  /** The action; `default` when omitted or empty. */
  next?: string;
}

/** A worked example; `pocket-wit` tools can run it as a test. */
export interface NodeExampleDef {
  name: string;
  description?: string;
  config?: Record<string, unknown>;
  input: unknown;
  output?: unknown;
}

type Infer<S, Fallback> = S extends TSchema ? Static<S> : Fallback;
type ConfigOf<C> = Infer<C, Record<string, unknown>>;
type InputOf<I> = Infer<I, unknown>;

/**
 * One node type. `C` and `I` are the config and input schemas, `P` what `prep` returns
 * (the input when there is no `prep`), `E` what `exec` returns.
 */
export interface NodeDef<C extends TSchema | undefined = undefined, I extends TSchema | undefined = undefined, P = InputOf<I>, E = unknown> {
  /** The node type used in workflows, for example `sentiment`. */
  type: string;
  /** A grouping for catalogues, for example `ai`, `text`, `data`. */
  category: string;
  description: string;
  /**
   * Schema of the config (published in the metadata). The host applies its defaults and
   * validates the config against it before every phase; it types `ctx.config`.
   */
  config?: C;
  /**
   * Schema of the input (published in the metadata). The host applies its defaults and
   * validates the input against it before the node runs; it types `input`.
   */
  input?: I;
  /** Schema of the output, for documentation and tools. */
  output?: TSchema;
  examples?: NodeExampleDef[];
  /** Read the input and the store; prepare what `exec` needs. Default: return the input. */
  prep?(input: InputOf<I>, ctx: NodeContext<ConfigOf<C>>): P;
  /** Do the work. It may be retried, so it must not write the store (`permission-denied`). */
  exec(prepResult: P, ctx: NodeContext<ConfigOf<C>>): E;
  /** Decide the output and the next action. Default: `{ output: execResult, next: 'default' }`. */
  post?(input: InputOf<I>, prepResult: P, execResult: E, ctx: NodeContext<ConfigOf<C>>): PostOutcome;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyNodeDef = NodeDef<any, any, any, any>;

/** The value a plugin module exports by default. */
export interface PluginDef {
  readonly nodes: readonly AnyNodeDef[];
  /** Marks the object as made by `definePlugin`. */
  readonly __pocketPlugin: 1;
}

type S = TSchema | undefined;

/** Define one node with full type inference, to be listed in `definePlugin({ nodes })`. */
export function defineNode<C extends S = undefined, I extends S = undefined, P = InputOf<I>, E = unknown>(def: NodeDef<C, I, P, E>): NodeDef<C, I, P, E> {
  return def;
}

/**
 * Define a plugin: the default export of `src/index.ts`. Node definitions written inline are
 * fully typed for up to four nodes; for more, wrap each in {@link defineNode}.
 */
export function definePlugin<C1 extends S = undefined, I1 extends S = undefined, P1 = InputOf<I1>, E1 = unknown>(def: {
  nodes: [NodeDef<C1, I1, P1, E1>];
}): PluginDef;
export function definePlugin<C1 extends S = undefined, I1 extends S = undefined, P1 = InputOf<I1>, E1 = unknown, C2 extends S = undefined, I2 extends S = undefined, P2 = InputOf<I2>, E2 = unknown>(def: {
  nodes: [NodeDef<C1, I1, P1, E1>, NodeDef<C2, I2, P2, E2>];
}): PluginDef;
export function definePlugin<
  C1 extends S = undefined, I1 extends S = undefined, P1 = InputOf<I1>, E1 = unknown,
  C2 extends S = undefined, I2 extends S = undefined, P2 = InputOf<I2>, E2 = unknown,
  C3 extends S = undefined, I3 extends S = undefined, P3 = InputOf<I3>, E3 = unknown,
>(def: { nodes: [NodeDef<C1, I1, P1, E1>, NodeDef<C2, I2, P2, E2>, NodeDef<C3, I3, P3, E3>] }): PluginDef;
export function definePlugin<
  C1 extends S = undefined, I1 extends S = undefined, P1 = InputOf<I1>, E1 = unknown,
  C2 extends S = undefined, I2 extends S = undefined, P2 = InputOf<I2>, E2 = unknown,
  C3 extends S = undefined, I3 extends S = undefined, P3 = InputOf<I3>, E3 = unknown,
  C4 extends S = undefined, I4 extends S = undefined, P4 = InputOf<I4>, E4 = unknown,
>(def: { nodes: [NodeDef<C1, I1, P1, E1>, NodeDef<C2, I2, P2, E2>, NodeDef<C3, I3, P3, E3>, NodeDef<C4, I4, P4, E4>] }): PluginDef;
export function definePlugin(def: { nodes: readonly AnyNodeDef[] }): PluginDef;
export function definePlugin(def: { nodes: readonly AnyNodeDef[] }): PluginDef {
  return { nodes: def.nodes, __pocketPlugin: 1 };
}
