/**
 * The host side of the `pocket:plugin/host` interface: the typed API an embedding app
 * implements (a log sink and the shared store), and the import object built from it.
 *
 * Import functions are bound once, at instantiation; they dispatch to the context of the call
 * in flight, so one instance serves calls with different stores and loggers.
 */
import type * as HostInterface from './generated/wit/v0.2.0/interfaces/pocket-plugin-host.js';

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

const LEVELS = new Set<string>(['debug', 'info', 'warn', 'error']);

/**
 * The `host` interface of the latest world version for one instance; older versions adapt it
 * (`world-versions/`). `current()` returns the context of the call in flight (or undefined
 * outside calls: then the store is empty and logs go nowhere).
 */
export function latestHost(current: () => CallContext | undefined): typeof HostInterface {
  return {
    log(level, message, fields) {
      const ctx = current();
      if (!ctx) return;
      let parsed: Record<string, unknown> | undefined;
      if (fields !== undefined) {
        try {
          const value: unknown = JSON.parse(fields);
          parsed = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
        } catch {
          parsed = { fields };
        }
      }
      const record: LogRecord = { level: LEVELS.has(level) ? level : 'info', message: String(message), plugin: ctx.plugin };
      if (ctx.node !== undefined) record.node = ctx.node;
      if (parsed !== undefined) record.fields = parsed;
      ctx.log(record);
    },
    storeGet(key) {
      const value = current()?.store.get(key);
      return value === undefined ? undefined : JSON.stringify(value);
    },
    storeSet(key, value) {
      const ctx = current();
      if (!ctx) return;
      ctx.store.set(key, JSON.parse(value));
    },
    storeDelete(key) {
      return current()?.store.delete(key) ?? false;
    },
    now() {
      return BigInt(Math.trunc((current()?.now ?? Date.now)()));
    },
    cancelled() {
      return current()?.cancelled?.() ?? false;
    },
  };
}
