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
  | 'invalid-manifest'
  | 'invalid-workflow'
  | 'invalid-wit'
  | 'step-limit'
  | 'queue-unavailable';

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
  'invalid-manifest',
  'invalid-workflow',
  'invalid-wit',
  'step-limit',
  'queue-unavailable',
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

  constructor(code: ErrorCode, message: string, options: { context?: ErrorContext; details?: unknown; cause?: unknown; attempts?: Attempt[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
    this.details = options.details;
    if (options.attempts) this.attempts = options.attempts;
  }

  /** A JSON-friendly form, as printed by `--json`. */
  toJSON(): { code: ErrorCode; message: string; details?: unknown; attempts?: Attempt[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
      ...(this.attempts ? { attempts: this.attempts } : {}),
    };
  }
}

/** True when `value` is a PluginError (also across module copies). */
export function isPluginError(value: unknown): value is PluginError {
  return value instanceof PluginError || (value instanceof Error && value.name === 'PluginError' && typeof (value as { code?: unknown }).code === 'string');
}
