/**
 * The host side of the `pocket:plugin/host` interface, implemented once for every runner and
 * every guest language: the typed API an embedding app supplies (a log sink and the shared
 * store, `CallContext`), and `CallHost`, the one object that answers a plugin's host calls
 * during one phase call.
 *
 * Every runner routes the plugin's host calls here: the in-process runner through the WIT
 * bindings (`latestHost`), the worker pool from its channel, the command runner from its stdout
 * frames. So node semantics are the host's, whatever the plugin's language: a store write in
 * `exec` is refused (`permission-denied`) and not applied; log records carry the plugin's name.
 */
import type * as HostInterface from './generated/wit/v0.2.0/interfaces/pocket-plugin-host.js';
import { PluginError } from './errors.js';

export type LogLevel = HostInterface.LogLevel;

/** One structured log line from a plugin. */
export interface LogRecord {
  level: LogLevel;
  message: string;
  /** Extra fields the plugin attached (a JSON object), if any. */
  fields?: Record<string, unknown>;
  /** The plugin's name. */
  plugin: string;
  /** The node type that was running. */
  node?: string;
}

/** Where plugin log lines go. */
export type LogSink = (record: LogRecord) => void;

/**
 * The workflow's shared store, as plugins see it. A `Map<string, unknown>` satisfies it.
 * Values are JSON values.
 */
export interface SharedStore {
  get(key: string): unknown;
  set(key: string, value: unknown): unknown;
  delete(key: string): boolean;
}

/** What one call gives the plugin's host imports. */
export interface CallContext {
  plugin: string;
  node?: string;
  store: SharedStore;
  log: LogSink;
  /** The clock plugins read (ms since the epoch); `Date.now` when omitted. */
  now?: () => number;
  /** Whether the call should stop early (a passed deadline, a cancelled run); never when omitted. */
  cancelled?: () => boolean;
  /**
   * Aborting it stops the call: the sandbox terminates the worker running it (the call fails with
   * the abort reason when that is a PluginError) and a fresh instance serves the next call.
   */
  signal?: AbortSignal;
}

/** What a host call is made during: a lifecycle phase, or `metadata` (at load). */
export type CallPhase = 'metadata' | 'prep' | 'exec' | 'post';

/** The phases that may write the shared store: `exec` may be retried, so it must not. */
const STORE_WRITABLE: ReadonlySet<CallPhase> = new Set(['prep', 'post']);

const LEVELS = new Set<string>(['debug', 'info', 'warn', 'error']);

/** A log sink that writes `[plugin] level: message {fields}` lines to stderr. */
export function stderrLogSink(minLevel: LogLevel = 'info'): LogSink {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(minLevel);
  return (r) => {
    if (order.indexOf(r.level) < min) return;
    const fields = r.fields && Object.keys(r.fields).length > 0 ? ` ${JSON.stringify(r.fields)}` : '';
    process.stderr.write(`[${r.plugin}${r.node ? `/${r.node}` : ''}] ${r.level}: ${r.message}${fields}\n`);
  };
}

/** A sink that drops everything. */
export const silentLogSink: LogSink = () => {};

/** Log fields as the plugin sent them (JSON text from the WIT, an object from a channel) → an object. */
function toFields(fields: string | Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (fields === undefined) return undefined;
  if (typeof fields !== 'string') return Object.keys(fields).length > 0 ? fields : undefined;
  try {
    const value: unknown = JSON.parse(fields);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { fields };
  }
}

/** The host calls a plugin makes, as the WIT bindings (`latestHost`) forward them. */
export interface HostCalls {
  log(level: string, message: string, fields?: string): void;
  storeGet(key: string): string | undefined;
  storeSet(key: string, json: string): void;
  storeDelete(key: string): boolean;
  now(): number;
  cancelled(): boolean;
}

/**
 * Answers a plugin's host calls during one phase call: the one implementation of log, store,
 * clock and cancellation. Rules are enforced here, for every runner and language: a store write
 * outside `prep`/`post` is not applied and makes the call fail with `permission-denied`
 * (`settle`); a store value that is not JSON makes it fail with `plugin-error`.
 */
export class CallHost implements HostCalls {
  /** The first rule the plugin broke during this call; `settle` turns it into the call's error. */
  #violation: PluginError | undefined;

  constructor(
    readonly ctx: CallContext,
    readonly phase: CallPhase,
  ) {}

  /** Whether the caller gave a clock (else the plugin's own clock is as good). */
  get hasClock(): boolean {
    return this.ctx.now !== undefined;
  }

  /** Whether the caller can cancel (else `cancelled()` is always false). */
  get canCancel(): boolean {
    return this.ctx.cancelled !== undefined;
  }

  #where(): string {
    return `${this.ctx.plugin}${this.ctx.node ? `/${this.ctx.node}` : ''} (${this.phase})`;
  }

  #refuse(err: PluginError): void {
    this.#violation ??= err;
  }

  log(level: string, message: string, fields?: string | Record<string, unknown>): void {
    const record: LogRecord = { level: LEVELS.has(level) ? (level as LogLevel) : 'info', message: String(message), plugin: this.ctx.plugin };
    if (this.ctx.node !== undefined) record.node = this.ctx.node;
    const parsed = toFields(fields);
    if (parsed !== undefined) record.fields = parsed;
    this.ctx.log(record);
  }

  /** The value of `key` as JSON text, or undefined when it is not set. */
  storeGet(key: string): string | undefined {
    const value = this.ctx.store.get(key);
    return value === undefined ? undefined : JSON.stringify(value);
  }

  #writable(key: string): boolean {
    if (STORE_WRITABLE.has(this.phase)) return true;
    // The same words as the guest SDKs, which may refuse first: the same error in every language.
    this.#refuse(
      new PluginError(
        'permission-denied',
        `${this.phase} must not write the shared store (it may be retried): write "${key}" in prep or post instead`,
        { context: { plugin: this.ctx.plugin, ...(this.ctx.node ? { node: this.ctx.node } : {}), phase: this.phase } },
      ),
    );
    return false;
  }

  /** Set `key` to a JSON value given as text. */
  storeSet(key: string, json: string): void {
    if (!this.#writable(key)) return;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      this.#refuse(new PluginError('plugin-error', `${this.#where()} wrote a store value for "${key}" that is not JSON; store values are JSON text`));
      return;
    }
    this.ctx.store.set(key, value);
  }

  storeDelete(key: string): boolean {
    if (!this.#writable(key)) return false;
    return this.ctx.store.delete(key);
  }

  /** Milliseconds since the epoch, from the caller's clock when it gave one. */
  now(): number {
    return Math.trunc((this.ctx.now ?? Date.now)());
  }

  cancelled(): boolean {
    return this.ctx.cancelled?.() ?? false;
  }

  /**
   * Await the call made with this host: a plugin that broke a rule fails with that, unless the
   * call already failed with an error of its own (an SDK that refused the write earlier, a trap).
   */
  finish<T>(call: Promise<T>): Promise<T> {
    return call.then((value) => {
      if (this.#violation) throw this.#violation;
      return value;
    });
  }
}

/** A call host for calls outside a node call (metadata at load): no store, logs to `log`. */
export function metadataHost(plugin: string, log: LogSink): CallHost {
  return new CallHost({ plugin, store: new Map(), log }, 'metadata');
}

/**
 * The WIT binding of the latest world's `host` interface for one instance; older versions adapt
 * it (`world-versions/`). `current()` returns the host of the call in flight, or undefined outside
 * calls (instantiation): then the store is empty and logs go nowhere.
 */
export function latestHost(current: () => HostCalls | undefined): typeof HostInterface {
  return {
    log(level, message, fields) {
      current()?.log(level, message, fields);
    },
    storeGet(key) {
      return current()?.storeGet(key);
    },
    storeSet(key, value) {
      current()?.storeSet(key, value);
    },
    storeDelete(key) {
      return current()?.storeDelete(key) ?? false;
    },
    now() {
      return BigInt(current()?.now() ?? Date.now());
    },
    cancelled() {
      return current()?.cancelled() ?? false;
    },
  };
}
