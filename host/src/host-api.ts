/**
 * The host side of the `pocket:plugin/host` interface, implemented once for every runner and
 * every guest language: the typed API an embedding app supplies (a log sink and the shared
 * store, `CallContext`), and `CallHost`, the one object that answers a plugin's host calls
 * during one phase call.
 *
 * Every runner routes the plugin's host calls here: the in-process runner through the WIT
 * bindings (`latestHost`), the worker pool from its channel, the command runner from its stdout
 * frames. So node semantics are the host's, whatever the plugin's language: a store write in
 * `exec` is refused (`permission-denied`) and not applied; store writes are applied at the end of
 * the phase, only if it succeeds; log records carry the plugin's name; and every cap of
 * `call-limits.ts` (action name, error, logs, store) is enforced here, once.
 */
import type * as HostInterface from './generated/wit/v0.2.1/interfaces/pocket-plugin-host.js';
import {
  actionNameProblem,
  capError,
  DEFAULT_CALL_LIMITS,
  LogBudget,
  storeCallLimitMessage,
  storeDeleteBytes,
  storeRunLimitMessage,
  storeWriteBytes,
  type CallLimits,
} from './call-limits.js';
import { isPluginError, PluginError } from './errors.js';

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
  /**
   * Told of every store call and log record the plugin makes during the call, with the key or
   * level only (the workflow engine records them in the trace). Must be cheap and must not throw.
   */
  onHostCall?: (event: HostCallEvent) => void;
}

/** A host call a plugin made, as `CallContext.onHostCall` is told of it: never a value. */
export interface HostCallEvent {
  call: 'store-get' | 'store-set' | 'store-delete' | 'log';
  phase: CallPhase;
  /** The store key (store calls). */
  key?: string;
  /** The record's level (log). */
  level?: LogLevel;
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

/** A store write the call has made and not yet applied: a value, or a delete. */
const DELETED: unique symbol = Symbol('deleted');
interface PendingWrite {
  value: unknown;
  /** The key was deleted earlier in the call: delete it before setting (a Map moves it last). */
  deleteFirst: boolean;
  bytes: number;
}

/**
 * What plugins hold in each store: bytes per key (key + JSON value + entry) and their total, for
 * the per-run cap. Keyed by the store object (a workflow run's store), so it goes with it.
 */
const held = new WeakMap<SharedStore, { keys: Map<string, number>; total: number }>();

function heldBy(store: SharedStore): { keys: Map<string, number>; total: number } {
  let h = held.get(store);
  if (!h) held.set(store, (h = { keys: new Map(), total: 0 }));
  return h;
}

/**
 * Answers a plugin's host calls during one phase call: the one implementation of log, store,
 * clock and cancellation. Rules are enforced here, for every runner and language:
 * - store writes and deletes are buffered (the call's reads see them) and applied in order when
 *   the call succeeds (`finish`); a call that fails (its own error, a trap, a timeout, a
 *   cancellation, a broken rule) applies none of them;
 * - a store write outside `prep`/`post` makes the call fail with `permission-denied`; a value
 *   that is not JSON with `plugin-error`; more than `maxStoreBytesPerCall` written, or a store
 *   taken over `maxStoreBytesPerRun`, with `size-limit`;
 * - log records beyond `maxLogRecords` / `maxLogBytes` are dropped, and one warning says so;
 * - an action name over `maxActionChars` fails the call with `size-limit`; an error's message
 *   and details are cut to their caps (the code stays).
 */
export class CallHost implements HostCalls {
  /** The first rule the plugin broke during this call; `finish` turns it into the call's error. */
  #violation: PluginError | undefined;
  readonly #logs: LogBudget;
  /** The call's store writes, in the order to apply them (at most one entry per key). */
  readonly #writes = new Map<string, PendingWrite>();
  /** Store bytes written by this call so far (sets and deletes). */
  #written = 0;
  #settled = false;

  constructor(
    readonly ctx: CallContext,
    readonly phase: CallPhase,
    readonly limits: CallLimits = DEFAULT_CALL_LIMITS,
  ) {
    this.#logs = new LogBudget(limits);
  }

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

  #context(): { plugin: string; node?: string; phase: CallPhase } {
    return { plugin: this.ctx.plugin, ...(this.ctx.node ? { node: this.ctx.node } : {}), phase: this.phase };
  }

  log(level: string, message: string, fields?: string | Record<string, unknown>): void {
    const text = String(message);
    if (!this.#logs.admit(text, fields)) return;
    const lvl = LEVELS.has(level) ? (level as LogLevel) : 'info';
    this.ctx.onHostCall?.({ call: 'log', phase: this.phase, level: lvl });
    this.#deliver(lvl, text, toFields(fields));
  }

  #deliver(level: LogLevel, message: string, fields: Record<string, unknown> | undefined): void {
    const record: LogRecord = { level, message, plugin: this.ctx.plugin };
    if (this.ctx.node !== undefined) record.node = this.ctx.node;
    if (fields !== undefined) record.fields = fields;
    this.ctx.log(record);
  }

  /** Log records the worker dropped under the same caps (counted in the call's one warning). */
  logsDropped(n: number): void {
    this.#logs.addDropped(n);
  }

  /** The value of `key` as JSON text (the call's own pending write first), or undefined. */
  storeGet(key: string): string | undefined {
    this.ctx.onHostCall?.({ call: 'store-get', phase: this.phase, key });
    const pending = this.#writes.get(key);
    const value = pending ? (pending.value === DELETED ? undefined : pending.value) : this.ctx.store.get(key);
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

  /** Count `bytes` against the call's store cap; false (and the call fails) once it is passed. */
  #charge(bytes: number): boolean {
    this.#written += bytes;
    if (this.#written <= this.limits.maxStoreBytesPerCall) return true;
    this.storeOverflow();
    return false;
  }

  /**
   * The call wrote more than its cap (the worker says so when it stopped sending writes): it
   * fails with `size-limit`, and nothing it wrote is kept, nor buffered any more.
   */
  storeOverflow(): void {
    this.#writes.clear();
    this.#refuse(new PluginError('size-limit', storeCallLimitMessage(this.#where(), this.limits.maxStoreBytesPerCall), { context: this.#context() }));
  }

  /** Whether the call may still buffer writes: not once it broke a store rule or ended. */
  get #buffering(): boolean {
    return !this.#settled && this.#violation === undefined;
  }

  /** Set `key` to a JSON value given as text (applied when the call succeeds). */
  storeSet(key: string, json: string): void {
    this.ctx.onHostCall?.({ call: 'store-set', phase: this.phase, key });
    if (!this.#writable(key) || !this.#buffering) return;
    const bytes = storeWriteBytes(key, json);
    if (!this.#charge(bytes)) return;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      this.#refuse(new PluginError('plugin-error', `${this.#where()} wrote a store value for "${key}" that is not JSON; store values are JSON text`));
      return;
    }
    const prev = this.#writes.get(key);
    if (prev && prev.value !== DELETED) {
      // Keeps its place, as Map.set does.
      prev.value = value;
      prev.bytes = bytes;
    } else {
      if (prev) this.#writes.delete(key);
      this.#writes.set(key, { value, deleteFirst: prev !== undefined, bytes });
    }
  }

  /** Delete `key` (applied when the call succeeds); whether it was set, as the call sees the store. */
  storeDelete(key: string): boolean {
    this.ctx.onHostCall?.({ call: 'store-delete', phase: this.phase, key });
    if (!this.#writable(key) || !this.#buffering || !this.#charge(storeDeleteBytes(key))) return false;
    const prev = this.#writes.get(key);
    const existed = prev ? prev.value !== DELETED : this.ctx.store.get(key) !== undefined;
    if (prev) this.#writes.delete(key);
    this.#writes.set(key, { value: DELETED, deleteFirst: false, bytes: 0 });
    return existed;
  }

  /** Milliseconds since the epoch, from the caller's clock when it gave one. */
  now(): number {
    return Math.trunc((this.ctx.now ?? Date.now)());
  }

  cancelled(): boolean {
    return this.ctx.cancelled?.() ?? false;
  }

  /** The store's plugin-written total once this call's writes are applied (per-run cap). */
  #checkRun(): void {
    if (this.#writes.size === 0) return;
    const h = heldBy(this.ctx.store);
    let total = h.total;
    for (const [key, w] of this.#writes) total += (w.value === DELETED ? 0 : w.bytes) - (h.keys.get(key) ?? 0);
    if (total > this.limits.maxStoreBytesPerRun) {
      this.#refuse(new PluginError('size-limit', storeRunLimitMessage(this.#where(), total, this.limits.maxStoreBytesPerRun), { context: this.#context() }));
    }
  }

  /** Apply the call's writes to the store, in order. */
  #apply(): void {
    if (this.#writes.size === 0) return;
    const store = this.ctx.store;
    const h = heldBy(store);
    for (const [key, w] of this.#writes) {
      h.total -= h.keys.get(key) ?? 0;
      if (w.value === DELETED) {
        h.keys.delete(key);
        store.delete(key);
        continue;
      }
      if (w.deleteFirst) store.delete(key);
      store.set(key, w.value);
      h.keys.set(key, w.bytes);
      h.total += w.bytes;
    }
    this.#writes.clear();
  }

  /** The call has ended: say how many log records were dropped (once), stop buffering. */
  #end(): void {
    if (this.#settled) return;
    this.#settled = true;
    const warning = this.#logs.warning();
    if (warning) this.#deliver('warn', warning.message, warning.fields);
  }

  /**
   * Await the call made with this host. When it succeeds, its action name is checked and its
   * store writes applied, in order; a plugin that broke a rule fails with that instead, and
   * nothing is applied. When it fails (its own error, which wins over a broken rule, a trap, a
   * timeout, a cancellation), nothing is applied either, and its error's message and details are
   * cut to their caps.
   */
  finish<T>(call: Promise<T>): Promise<T> {
    return call.then(
      (value) => {
        this.#end();
        if (this.phase === 'post' && !this.#violation) {
          const problem = actionNameProblem(this.#where(), (value as { next?: unknown } | null)?.next, this.limits.maxActionChars);
          if (problem) this.#refuse(new PluginError('size-limit', problem, { context: this.#context() }));
        }
        if (!this.#violation) this.#checkRun();
        if (this.#violation) {
          this.#writes.clear();
          throw capError(this.#violation, this.limits);
        }
        this.#apply();
        return value;
      },
      (thrown: unknown) => {
        this.#end();
        this.#writes.clear();
        throw isPluginError(thrown) ? capError(thrown, this.limits) : thrown;
      },
    );
  }
}

/** A call host for calls outside a node call (metadata at load): no store, logs to `log`. */
export function metadataHost(plugin: string, log: LogSink, limits: CallLimits = DEFAULT_CALL_LIMITS): CallHost {
  return new CallHost({ plugin, store: new Map(), log }, 'metadata', limits);
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
