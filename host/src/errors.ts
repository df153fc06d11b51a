/**
 * Errors raised by pocket-wit. Every error carries a stable `code`; messages say what went
 * wrong and, where possible, what to do about it.
 */

/** Stable error codes used across the host, the CLI and the workflow engine. */
export type ErrorCode =
  | 'plugin-error'
  | 'invalid-input'
  | 'invalid-plugin'
  | 'incompatible'
  | 'not-found'
  | 'trap'
  | 'timeout'
  | 'memory-limit'
  | 'size-limit'
  | 'permission-denied'
  | 'build-failed'
  | 'type-error'
  | 'invalid-manifest'
  | 'invalid-workflow'
  | 'invalid-wit'
  | 'step-limit'
  | 'queue-unavailable'
  | 'registry-unavailable';

/** Every error code, for checking a code that crossed a thread or process boundary. */
export const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'plugin-error',
  'invalid-input',
  'invalid-plugin',
  'incompatible',
  'not-found',
  'trap',
  'timeout',
  'memory-limit',
  'size-limit',
  'permission-denied',
  'build-failed',
  'type-error',
  'invalid-manifest',
  'invalid-workflow',
  'invalid-wit',
  'step-limit',
  'queue-unavailable',
  'registry-unavailable',
]);

/** Where in a plugin call an error happened. */
export interface ErrorContext {
  /** The plugin's name. */
  plugin?: string;
  /** The node type being run. */
  node?: string;
  /** The lifecycle phase: `prep`, `exec`, `post` or `metadata`. */
  phase?: string;
}

/** One attempt of a call that was retried on a fresh instance (see `LoadOptions.retryCrashed`). */
export interface Attempt {
  code: ErrorCode;
  message: string;
}

/** The one error class of pocket-wit's host and toolchain. */
export class PluginError extends Error {
  override name = 'PluginError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  readonly details?: unknown;
  /**
   * Set when the call was retried on a fresh instance after its instance died, and failed again:
   * every attempt, the first one first (this error is the last one).
   */
  readonly attempts?: Attempt[];
  /**
   * The plugin's own stack trace where its engine gives one: the stack of the Error a
   * TypeScript/JavaScript node threw (sent by the guest SDK in the node-error's details, under
   * `guestStack`, and taken out of `details` here). Printed by the CLI with `--verbose`.
   */
  readonly guestStack?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { context?: ErrorContext; details?: unknown; cause?: unknown; attempts?: Attempt[]; guestStack?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
    this.details = options.details;
    if (options.attempts) this.attempts = options.attempts;
    if (options.guestStack) this.guestStack = options.guestStack;
  }

  /**
   * A JSON-friendly form, as printed by `--json`: the code, the message, the node and phase of the
   * call that failed (when known), the plugin's details, the guest's stack, the retried attempts.
   */
  toJSON(): { code: ErrorCode; message: string; node?: string; phase?: string; details?: unknown; guestStack?: string; attempts?: Attempt[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.context.node === undefined ? {} : { node: this.context.node }),
      ...(this.context.phase === undefined ? {} : { phase: this.context.phase }),
      ...(this.details === undefined ? {} : { details: this.details }),
      ...(this.guestStack === undefined ? {} : { guestStack: this.guestStack }),
      ...(this.attempts ? { attempts: this.attempts } : {}),
    };
  }
}

/**
 * Where a call failed, for a person: `node greet, exec` (empty when the error names no node and
 * phase). The CLI prefixes an error's message with it unless the message names the node already.
 */
export function errorLocation(err: PluginError): string {
  const { node, phase } = err.context;
  if (!node || !phase) return '';
  const m = err.message;
  if (m.includes(`"${node}"`) || m.includes(`/${node}`) || m.includes(`node ${node}`)) return '';
  return `node ${node}, ${phase}`;
}

/**
 * Split a guest's `guestStack` out of a node-error's details (the TypeScript SDK sends the stack
 * of a thrown Error that way): the details without it (undefined when nothing else was in them)
 * and the stack.
 */
export function splitGuestStack(details: unknown): { details: unknown; guestStack?: string } {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return { details };
  const { guestStack, ...rest } = details as Record<string, unknown>;
  if (typeof guestStack !== 'string') return { details };
  return { details: Object.keys(rest).length === 0 ? undefined : rest, guestStack };
}

/** True when `value` is a PluginError (also across module copies). */
export function isPluginError(value: unknown): value is PluginError {
  return value instanceof PluginError || (value instanceof Error && value.name === 'PluginError' && typeof (value as { code?: unknown }).code === 'string');
}
