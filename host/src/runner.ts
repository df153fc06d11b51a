/**
 * Stage 4: linked instances. A runner owns the instances of one plugin and performs calls on
 * them. This is the seam the sandbox replaces: the in-process runner below calls the plugin on
 * the caller's thread; other runners (worker threads) implement the same interface.
 */
import type * as Types from './generated/wit/v0.2.0/interfaces/pocket-plugin-types.js';
import type { CompiledComponent, NodeExports } from './compile.js';
import { PluginError, type ErrorCode, type ErrorContext } from './errors.js';
import type { CallContext } from './host-api.js';
import { hostImportsFor } from './world-versions/index.js';

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
  /** Call the `metadata` export. */
  metadata(): Promise<RawMetadata>;
  /** Call one lifecycle phase with `ctx` as the host imports' context. */
  call<P extends Phase>(phase: P, args: PhaseArgs[P], ctx: CallContext): Promise<PhaseResult[P]>;
  /** Release the instances. */
  close(): Promise<void>;
}

/** Makes the runner of a plugin; the host's default is {@link inProcessRunner}. */
export type RunnerFactory = (compiled: CompiledComponent, info: { name: string }) => Promise<PluginRunner>;

const GUEST_CODES = new Set<ErrorCode>(['plugin-error', 'invalid-input', 'not-found', 'permission-denied']);

/**
 * Turn whatever a call threw into a PluginError: a `node-error` the plugin returned keeps its
 * code; anything else (a wasm trap, a failed lowering) is a `trap`.
 */
export function toPluginError(thrown: unknown, context: ErrorContext): PluginError {
  if (thrown instanceof PluginError) return thrown;
  const where = `${context.plugin ?? 'plugin'}${context.node ? `/${context.node}` : ''}${context.phase ? ` (${context.phase})` : ''}`;
  const payload = (thrown as { payload?: Types.NodeError } | null)?.payload;
  if (payload && typeof payload === 'object' && typeof payload.message === 'string') {
    const code: ErrorCode = GUEST_CODES.has(payload.code as ErrorCode) ? (payload.code as ErrorCode) : 'plugin-error';
    let details: unknown;
    if (payload.details !== undefined) {
      try {
        details = JSON.parse(payload.details);
      } catch {
        details = payload.details;
      }
    }
    return new PluginError(code, payload.message, { context, details });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new PluginError('trap', `${where} trapped: ${message}`, { context, cause: thrown });
}

/**
 * Runs calls on the caller's thread with one instance, created on first use. An instance that
 * trapped is discarded and the next call gets a fresh one. Calls are synchronous underneath, so
 * the instance never serves two calls at once.
 */
export const inProcessRunner: RunnerFactory = async (compiled, info) => {
  let current: CallContext | undefined;
  let instance: NodeExports | undefined;
  const imports = hostImportsFor(compiled.transpiled.worldVersion, () => current);
  const get = (): NodeExports => (instance ??= compiled.instantiate(imports));

  function invoke<T>(phase: string, ctx: CallContext | undefined, fn: (node: NodeExports) => T): T {
    const node = get();
    const previous = current;
    current = ctx;
    try {
      return fn(node);
    } catch (thrown) {
      const err = toPluginError(thrown, { plugin: info.name, node: ctx?.node, phase });
      if (err.code === 'trap') instance = undefined;
      throw err;
    } finally {
      current = previous;
    }
  }

  // Instantiate now, so that a plugin that cannot start fails at load, not at its first call.
  try {
    get();
  } catch (thrown) {
    throw thrown instanceof PluginError ? thrown : new PluginError('trap', `${info.name} failed to start: ${(thrown as Error).message}`, { cause: thrown });
  }

  return {
    async metadata() {
      return invoke('metadata', undefined, (node) => node.metadata());
    },
    async call(phase, args, ctx) {
      return invoke(phase, ctx, (node) => (node[phase] as (...a: string[]) => PhaseResult[typeof phase])(...args));
    },
    async close() {
      instance = undefined;
    },
  };
};
