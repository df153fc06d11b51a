/**
 * The caps on what one plugin call may send the host besides its result: its action name, its
 * error, its log records, its store writes and the HTTP bodies it is handed. Defined once, here:
 * `CallHost` (host-api.ts) applies them for every runner and language, and the plugin worker
 * (sandbox/plugin-worker.ts) applies the same functions before anything crosses its channel, so
 * what the host would drop is never shipped.
 *
 * Sizes are UTF-8 bytes. A host overrides any of them with `LoadOptions.limits` (resolved by
 * `resolveCallLimits` into the plugin's policy); docs/SECURITY.md ("Caps") lists them.
 */
import { PluginError, splitGuestStack } from './errors.js';
import { formatBytes } from './sandbox/format.js';

export interface CallLimits {
  /** Longest action name `post` may return, in characters; default 256 (`size-limit` beyond). */
  maxActionChars: number;
  /** Longest error message kept, in bytes; default 8 KB (the rest is cut off, the code stays). */
  maxErrorMessageBytes: number;
  /** Largest error details kept (as JSON), in bytes; default 64 KB (replaced by a note beyond). */
  maxErrorDetailsBytes: number;
  /** Log records one call may deliver; default 1,000 (the rest dropped, with one warning). */
  maxLogRecords: number;
  /** Log bytes (messages and fields) one call may deliver; default 1 MB (the rest dropped). */
  maxLogBytes: number;
  /** Store bytes one call may write; default 8 MB (`size-limit` beyond, nothing applied). */
  maxStoreBytesPerCall: number;
  /** Store bytes plugins may hold in one store (one run); default 64 MB (`size-limit` beyond). */
  maxStoreBytesPerRun: number;
  /** Largest HTTP response body handed to a plugin; default 16 MB (`HTTP-response-body-size`). */
  maxHttpBodyBytes: number;
}

export const DEFAULT_CALL_LIMITS: Readonly<CallLimits> = Object.freeze({
  maxActionChars: 256,
  maxErrorMessageBytes: 8 * 1024,
  maxErrorDetailsBytes: 64 * 1024,
  maxLogRecords: 1000,
  maxLogBytes: 1024 * 1024,
  maxStoreBytesPerCall: 8 * 1024 * 1024,
  maxStoreBytesPerRun: 64 * 1024 * 1024,
  maxHttpBodyBytes: 16 * 1024 * 1024,
});

const NAMES = Object.keys(DEFAULT_CALL_LIMITS) as (keyof CallLimits)[];

/** The defaults with the host's overrides; each must be a whole number ≥ 0 (or `Infinity`). */
export function resolveCallLimits(given: Partial<CallLimits> | undefined): CallLimits {
  const limits = { ...DEFAULT_CALL_LIMITS };
  for (const name of NAMES) {
    const v = given?.[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v === Infinity || (Number.isInteger(v) && v >= 0))) {
      throw new PluginError('invalid-input', `limits.${name} must be a whole number of 0 or more (or Infinity), got ${String(v)}`);
    }
    limits[name] = v;
  }
  return limits;
}

const size = (n: number): string => (n === Infinity ? 'no limit' : formatBytes(n));

// ---- error messages and details ---------------------------------------------------------------

const CUT = /… \(\d+ more bytes\)$/;

/**
 * `message` cut to `max` UTF-8 bytes (at a character boundary) + `… (N more bytes)`, or as is.
 * A message already cut (by the worker) is kept: cutting it again would lose the count.
 */
export function capMessage(message: string, max: number): string {
  if (message.length <= max / 3) return message; // fits whatever its characters
  const bytes = Buffer.byteLength(message);
  if (bytes <= max) return message;
  const cut = CUT.exec(message.slice(-48));
  if (cut && bytes - Buffer.byteLength(cut[0]) <= max) return message;
  const head = Buffer.from(message.slice(0, max));
  let end = Math.min(max, head.length);
  while (end > 0 && end < head.length && (head[end]! & 0xc0) === 0x80) end--;
  return `${head.toString('utf8', 0, end)}… (${bytes - end} more bytes)`;
}

/** What replaces error details over the cap. */
export function omittedDetails(bytes: number, max: number): { omitted: string; bytes: number; limit: number } {
  return { omitted: `the error's details (${formatBytes(bytes)} as JSON) were dropped: more than the limit of ${size(max)}`, bytes, limit: max };
}

/** Details given as JSON text (a WIT `node-error`): parsed, or the note when over `max`. */
export function capDetailsText(text: string, max: number): unknown {
  const bytes = Buffer.byteLength(text);
  if (bytes > max) return omittedDetails(bytes, max);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Details as a value: kept, or the note when their JSON is over `max`. */
export function capDetails(details: unknown, max: number): unknown {
  if (details === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(details);
  } catch {
    return details; // not JSON (a host-made error's own object): not the plugin's to inflate
  }
  if (text === undefined) return details;
  const bytes = Buffer.byteLength(text);
  return bytes > max ? omittedDetails(bytes, max) : details;
}

/** A PluginError with its message and details within the caps (the same error when they are). */
export function capError(err: PluginError, limits: Pick<CallLimits, 'maxErrorMessageBytes' | 'maxErrorDetailsBytes'>): PluginError {
  const message = capMessage(err.message, limits.maxErrorMessageBytes);
  // A guest's stack travels in the node-error's details (`guestStack`); it is the error's own field here.
  const split = err.guestStack === undefined ? splitGuestStack(err.details) : { details: err.details };
  const details = capDetails(split.details, limits.maxErrorDetailsBytes);
  if (message === err.message && details === err.details) return err;
  // The cause is kept only when the message is whole: it would hold the text that was cut.
  return new PluginError(err.code, message, {
    context: err.context,
    ...(details !== undefined ? { details } : {}),
    ...(split.guestStack !== undefined || err.guestStack !== undefined ? { guestStack: (split.guestStack ?? err.guestStack)! } : {}),
    ...(message === err.message && err.cause !== undefined ? { cause: err.cause } : {}),
  });
}

// ---- the action name ---------------------------------------------------------------------------

/** Why `post`'s action name is refused (`size-limit`), or undefined when it is within the cap. */
export function actionNameProblem(where: string, next: unknown, max: number): string | undefined {
  if (typeof next !== 'string' || next.length <= max) return undefined;
  return `${where} returned an action name of ${next.length} characters, more than the limit of ${max}; action names are short labels (the host's limits.maxActionChars)`;
}

// ---- log records -------------------------------------------------------------------------------

/** What a log record counts against the byte cap: its message and its fields as JSON. */
export function logRecordBytes(message: string, fields?: string | object): number {
  let n = Buffer.byteLength(message);
  if (typeof fields === 'string') n += Buffer.byteLength(fields);
  else if (fields !== undefined && fields !== null) n += Buffer.byteLength(JSON.stringify(fields) ?? '');
  return n;
}

/**
 * One call's log allowance: records are delivered while both caps hold; from the first record
 * that does not fit, every further record of the call is dropped and counted (what is delivered
 * is always the beginning of what was logged). `warning()` is the one record that says so.
 */
export class LogBudget {
  #records = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(readonly limits: Pick<CallLimits, 'maxLogRecords' | 'maxLogBytes'>) {}

  /** Whether this record may be delivered; counts it either way. */
  admit(message: string, fields?: string | object): boolean {
    if (this.#dropped === 0 && this.#records < this.limits.maxLogRecords) {
      const n = logRecordBytes(message, fields);
      if (this.#bytes + n <= this.limits.maxLogBytes) {
        this.#records++;
        this.#bytes += n;
        return true;
      }
    }
    this.#dropped++;
    return false;
  }

  /** Records dropped elsewhere (the worker) under the same rule. */
  addDropped(n: number): void {
    if (Number.isInteger(n) && n > 0) this.#dropped += n;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** The warning to log at the end of the call, when anything was dropped. */
  warning(): { message: string; fields: Record<string, number> } | undefined {
    if (this.#dropped === 0) return undefined;
    const { maxLogRecords, maxLogBytes } = this.limits;
    return {
      message: `${this.#dropped} log record(s) dropped: a plugin call may log at most ${maxLogRecords === Infinity ? 'any number of' : maxLogRecords} records and ${size(maxLogBytes)} (the host's limits.maxLogRecords, limits.maxLogBytes)`,
      fields: { dropped: this.#dropped, maxLogRecords, maxLogBytes },
    };
  }
}

// ---- store writes ------------------------------------------------------------------------------

/** What every store entry counts on top of its key and value (it costs more than its text). */
export const STORE_ENTRY_BYTES = 16;

/** What a store write counts: key + the value's JSON text + the entry. */
export function storeWriteBytes(key: string, json: string): number {
  return Buffer.byteLength(key) + Buffer.byteLength(json) + STORE_ENTRY_BYTES;
}

/** What a store delete counts against the call's writes: its key + the entry. */
export function storeDeleteBytes(key: string): number {
  return Buffer.byteLength(key) + STORE_ENTRY_BYTES;
}

/** The message of a call that wrote more than its cap (the same from the worker and the host). */
export function storeCallLimitMessage(where: string, max: number): string {
  return `${where} wrote more than ${size(max)} to the shared store in one call (the limit per call; the host's limits.maxStoreBytesPerCall); none of its writes were applied`;
}

/** The message of a call whose writes would take the store over its cap. */
export function storeRunLimitMessage(where: string, total: number, max: number): string {
  return `${where} would take the shared store to ${formatBytes(total)} written by plugins, more than the limit of ${size(max)} per run (the host's limits.maxStoreBytesPerRun); none of its writes were applied`;
}

/** The message of an HTTP response body over its cap (the wasi:http error `HTTP-response-body-size`). */
export function httpBodyLimitMessage(url: string, max: number): string {
  return `the response from ${url} is larger than ${size(max)}, the limit on an HTTP response body handed to a plugin (the host's limits.maxHttpBodyBytes); it was not read further`;
}
