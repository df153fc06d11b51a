/**
 * The detail of one node visit in a run's trace: every phase call in order (prep, each exec
 * attempt, the waits between attempts, post, and calls repeated on a fresh instance), and the
 * host calls the node's plugin made (store reads, writes and deletes, log records), each with
 * its time from the run's start. Keys and levels only, never values or messages; at most
 * `MAX_CALLS_PER_STEP` calls per visit are kept and the rest counted, so a trace stays small.
 */
import type { ErrorCode, PluginError } from '../errors.js';
import type { CallPhase, HostCallEvent } from '../host-api.js';

/** Host calls recorded per visit; those beyond are counted in `callsDropped`. */
export const MAX_CALLS_PER_STEP = 200;
/** Store keys longer than this are cut (with `…`) in the trace. */
const MAX_KEY_CHARS = 120;

/** A lifecycle phase of a node visit, as the trace names them. */
export type SpanPhase = 'prep' | 'exec' | 'wait' | 'post';

/** One phase call of a visit (or the wait between two exec attempts). */
export interface TraceSpan {
  phase: SpanPhase;
  /** When it started, in ms from the run's start. */
  startMs: number;
  durationMs: number;
  /** `exec`: the attempt (1 is the first); `wait`: the attempt it follows. */
  attempt?: number;
  /** Present when the call failed: true. */
  failed?: true;
  /** The error code of a failed call. */
  code?: ErrorCode;
  /** The call's instance died (trap, out of memory); the next span is the call again on a fresh instance. */
  instanceDied?: true;
}

/** One host call a plugin made during a visit. */
export interface TraceCall {
  /** When the host received it, in ms from the run's start. */
  atMs: number;
  /** The phase call it was made in. */
  phase: Exclude<CallPhase, 'metadata'>;
  call: HostCallEvent['call'];
  /** The store key (store calls). */
  key?: string;
  /** The level (log records). */
  level?: string;
}

/**
 * A duration or time in ms as a trace writes it: to the microsecond (at most 3 decimals), so
 * `1.1116969999999924` is written `1.112`.
 */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
const round = roundMs;

function codeOf(err: unknown): ErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? (code as ErrorCode) : 'plugin-error';
}

/** Records the spans and host calls of one visit, against the run's clock origin. */
export class StepRecorder {
  readonly spans: TraceSpan[] = [];
  readonly calls: TraceCall[] = [];
  callsDropped = 0;
  /** The phase call in flight: its span (not yet pushed) and when it started. */
  #current: { phase: SpanPhase; attempt?: number; start: number } | undefined;
  /** Set when the visit's step is written: a call still running after a timeout records nothing more. */
  #ended = false;

  constructor(readonly origin: number) {}

  /** Now, in ms from the run's start. */
  now(): number {
    return performance.now() - this.origin;
  }

  /** Time `fn` as one span of `phase`; a failure is recorded with its code and rethrown. */
  async span<T>(phase: SpanPhase, fn: () => Promise<T>, attempt?: number): Promise<T> {
    this.#current = { phase, start: performance.now(), ...(attempt !== undefined ? { attempt } : {}) };
    try {
      const value = await fn();
      this.#close();
      return value;
    } catch (err) {
      this.#close(codeOf(err));
      throw err;
    }
  }

  /** The call in flight failed because its instance died and is being made again on a fresh one. */
  instanceDied(failure: PluginError): void {
    const cur = this.#current;
    if (!cur || this.#ended) return;
    this.#close(failure.code, true);
    this.#current = { ...cur, start: performance.now() };
  }

  #close(code?: ErrorCode, died = false): void {
    const cur = this.#current;
    if (!cur || this.#ended) return;
    this.#current = undefined;
    const end = performance.now();
    const span: TraceSpan = { phase: cur.phase, startMs: round(cur.start - this.origin), durationMs: round(end - cur.start) };
    if (cur.attempt !== undefined) span.attempt = cur.attempt;
    if (code !== undefined) {
      span.failed = true;
      span.code = code;
    }
    if (died) span.instanceDied = true;
    this.spans.push(span);
  }

  /** The visit's record is done: what it holds now is final. */
  end(): { spans: TraceSpan[]; calls?: TraceCall[]; callsDropped?: number } {
    this.#ended = true;
    return { spans: this.spans, ...(this.calls.length ? { calls: this.calls } : {}), ...(this.callsDropped ? { callsDropped: this.callsDropped } : {}) };
  }

  /** A host call the plugin made (keys cut to a bounded length; values never kept). */
  hostCall(event: HostCallEvent): void {
    if (event.phase === 'metadata' || this.#ended) return;
    if (this.calls.length >= MAX_CALLS_PER_STEP) {
      this.callsDropped++;
      return;
    }
    const call: TraceCall = { atMs: round(this.now()), phase: event.phase, call: event.call };
    if (event.key !== undefined) call.key = event.key.length > MAX_KEY_CHARS ? `${event.key.slice(0, MAX_KEY_CHARS)}…` : event.key;
    if (event.level !== undefined) call.level = event.level;
    this.calls.push(call);
  }
}
