/**
 * The runner seam (stage 4): the one shape every way of running a plugin takes. A runner owns
 * the instances of one plugin and performs calls on them; `Plugin` (stage 5) only calls
 * `metadata`, `call` and `close`. The runners live under `sandbox/`: `inProcessRunner` (the
 * caller's thread, trusted plugins), `workerRunner` (the default: a pool of isolated worker
 * threads) and `commandRunner` (WASI command plugins, e.g. Go, in a worker), chosen by
 * `loadPlugin`'s `isolation` option and the component's kind (`sandbox/runners.ts`).
 *
 * This module holds only types and the error mapping every runner shares, below all stages.
 */
import type * as Types from './generated/wit/v0.2.1/interfaces/pocket-plugin-types.js';
import { capDetailsText, capMessage, type CallLimits } from './call-limits.js';
import { PluginError, type ErrorCode, type ErrorContext } from './errors.js';
import type { CallHost, LogSink } from './host-api.js';
import type { Engine } from './sandbox/engine.js';
import type { SandboxPolicy } from './sandbox/policy.js';
import type { TranspiledComponent } from './transpile.js';

export type RawMetadata = Types.PluginMetadata;
export type RawPostResult = Types.PostResult;
export type Phase = 'prep' | 'exec' | 'post';

/** The arguments of each phase, as they cross the WIT boundary (JSON as text). */
export type PhaseArgs = {
  prep: [nodeType: string, config: string, input: string];
  exec: [nodeType: string, config: string, prepResult: string];
  post: [nodeType: string, config: string, input: string, prepResult: string, execResult: string];
};
export type PhaseResult = { prep: string; exec: string; post: RawPostResult };

export interface PluginRunner {
  /** Call the `metadata` export; `host` answers host calls made meanwhile. */
  metadata(host: CallHost): Promise<RawMetadata>;
  /** Call one lifecycle phase; `host` answers the plugin's host calls (log, store, clock). */
  call<P extends Phase>(phase: P, args: PhaseArgs[P], host: CallHost): Promise<PhaseResult[P]>;
  /** Release the instances. */
  close(): Promise<void>;
  /** What the runner holds now (a custom runner may not say). */
  stats?(): RunnerStats;
}

/** What a runner's live instances hold. */
export interface RunnerStats {
  /** Live instances (a pool's started workers). */
  instances: number;
  /**
   * The linear memory of those instances together, in bytes, as of the end of each one's last call
   * (wasm memory only grows, so a leak shows here; the cap is `permissions.memoryBytes` each).
   */
  memoryBytes: number;
}

/** What a runner is made from, besides the transpiled component. */
export interface RunnerContext {
  /** The plugin's name (for messages and log records). */
  name: string;
  /** What the plugin may do: memory cap, timeout, WASI grant, size limits. */
  policy: SandboxPolicy;
  /** Where log lines go outside calls. */
  log: LogSink;
  /** Compiles (and caches) the component's core modules. */
  engine: Engine;
  /** Worker threads for a pooled runner; default min(4, CPUs). */
  poolSize?: number;
}

/** Makes the runner of a plugin. Every runner has this one shape. */
export type RunnerFactory = (transpiled: TranspiledComponent, context: RunnerContext) => Promise<PluginRunner>;

const GUEST_CODES = new Set<ErrorCode>(['plugin-error', 'invalid-input', 'not-found', 'permission-denied']);

/** The code a plugin may give its own error: one of the WIT `error-code`s, else `plugin-error`. */
export function guestCode(code: unknown): ErrorCode {
  return GUEST_CODES.has(code as ErrorCode) ? (code as ErrorCode) : 'plugin-error';
}

/**
 * Turn whatever a call threw into a PluginError: a `node-error` the plugin returned keeps its
 * code; anything else (a wasm trap, a failed lowering) is a `trap`. With `limits`, a node-error's
 * message and details are cut to their caps here, before its details are even parsed (`CallHost`
 * cuts every call's error again, whichever runner made it).
 */
export function toPluginError(
  thrown: unknown,
  context: ErrorContext,
  limits?: Pick<CallLimits, 'maxErrorMessageBytes' | 'maxErrorDetailsBytes'>,
): PluginError {
  if (thrown instanceof PluginError) return thrown;
  const where = `${context.plugin ?? 'plugin'}${context.node ? `/${context.node}` : ''}${context.phase ? ` (${context.phase})` : ''}`;
  const payload = (thrown as { payload?: Types.NodeError } | null)?.payload;
  if (payload && typeof payload === 'object' && typeof payload.message === 'string') {
    const details = payload.details === undefined ? undefined : capDetailsText(payload.details, limits?.maxErrorDetailsBytes ?? Infinity);
    const message = limits ? capMessage(payload.message, limits.maxErrorMessageBytes) : payload.message;
    return new PluginError(guestCode(payload.code), message, { context, details });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new PluginError('trap', `${where} trapped: ${message}`, { context, cause: thrown });
}
