/**
 * The host side of one sandbox worker thread, shared by plugin threads (`plugin-thread.ts`) and
 * command instances (`command-runner.ts`): spawning the worker, its start-up under the timeout
 * (instantiation runs plugin code), calls under the timeout and the caller's abort signal, and
 * stopping it (terminating the thread) — a runaway plugin costs its worker, never the host.
 *
 * Workers report their lifecycle with `{ kind: 'instantiating' | 'ready' | 'failed' }` messages;
 * anything else goes to `onMessage`.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { PluginError, type ErrorContext } from '../errors.js';
import type { CallHost } from '../host-api.js';
import { workerEntry } from '../worker-entry.js';
import type { WireError } from './channel.js';
import { fromWire } from './wire.js';

/** Lifecycle messages every sandbox worker sends. */
export type WorkerLifecycle = { kind: 'instantiating' } | { kind: 'ready' } | { kind: 'failed'; error: WireError };

export interface WorkerHostInit {
  /** The plugin's name, for messages. */
  name: string;
  /** The worker module, relative to `host/src` without extension (e.g. `sandbox/plugin-worker`). */
  module: string;
  workerData: unknown;
  transferList?: TransferListItem[];
  /** The worker's JS heap cap (MB); none when omitted. */
  heapMb?: number;
  /** How long instantiation may take: the plugin's timeout (at least `START_TIMEOUT_FLOOR_MS`). */
  startTimeoutMs: number;
  /** Called once when the worker stops (killed, crashed or closed). */
  onDead?: () => void;
}

/**
 * The least time instantiation gets, whatever the plugin's timeout: starting an instance on a busy
 * machine must not fail a plugin whose calls are fast (a hang still ends, after this).
 */
export const START_TIMEOUT_FLOOR_MS = 2000;

/**
 * Sandbox calls in flight on this thread, over every worker. A call that is the only one may wait
 * for its answer with a bounded spin and sleep on this thread (`channel.ts`): nothing else is
 * waiting for the event loop then.
 */
let callsInFlight = 0;

/** Whether the call in flight is the only sandbox call of this thread. */
export function onlyCallInFlight(): boolean {
  return callsInFlight === 1;
}

export abstract class WorkerHost {
  protected readonly name: string;
  protected readonly worker: Worker;
  readonly ready: Promise<void>;
  /** Owned by the pool: the worker is handed to one call at a time. */
  busy = false;
  dead = false;
  /** True once the instance is up. */
  started = false;
  #inCall = false;
  #deathError: PluginError | undefined;
  #startTimer: NodeJS.Timeout | undefined;
  /** The one call timer (see `guard`), when it fires, and what the call in flight does then. */
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #deadline = 0;
  #onTimeout: (() => void) | undefined;
  readonly #init: WorkerHostInit;
  readonly #failStart: (err: PluginError) => void;

  constructor(init: WorkerHostInit) {
    this.#init = init;
    this.name = init.name;
    const entry = workerEntry(init.module);
    this.worker = new Worker(entry.path, {
      workerData: init.workerData,
      transferList: init.transferList ?? [],
      execArgv: entry.execArgv,
      // The worker's own stdout/stderr are captured, never shown (a plugin's stdio are its WASI
      // streams); they are not read, since reading them refs the worker.
      stdout: true,
      stderr: true,
      ...(init.heapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: init.heapMb } } : {}),
    });
    let started!: () => void;
    let failed!: (err: PluginError) => void;
    this.ready = new Promise<void>((res, rej) => {
      started = res;
      failed = rej;
    });
    this.ready.catch(() => {});
    this.#failStart = failed;
    this.worker.on('message', (msg: WorkerLifecycle | { kind: string }) => {
      if (msg.kind === 'instantiating') {
        const ms = Math.max(init.startTimeoutMs, START_TIMEOUT_FLOOR_MS);
        this.#startTimer = setTimeout(() => {
          const err = new PluginError(
            'timeout',
            `${this.name} did not finish starting within ${ms} ms (its instantiation hangs; starting gets the plugin's timeout, at least ${START_TIMEOUT_FLOOR_MS} ms); it was stopped`,
          );
          this.kill(err);
        }, ms);
      } else if (msg.kind === 'ready') {
        clearTimeout(this.#startTimer);
        this.started = true;
        if (!this.#inCall) this.worker.unref();
        started();
      } else if (msg.kind === 'failed') {
        this.kill(fromWire((msg as { error: WireError }).error, { plugin: this.name }));
      } else {
        this.onMessage(msg);
      }
    });
    this.worker.on('error', (err) => {
      const oom = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.kill(
        oom
          ? new PluginError('memory-limit', `${this.name} exhausted its worker's heap (${init.heapMb} MB); it was stopped`)
          : new PluginError('trap', `${this.name}'s worker failed: ${err.message}`),
      );
    });
    this.worker.on('exit', (code) => this.kill(new PluginError('trap', `${this.name}'s worker stopped (exit code ${code})`)));
  }

  /** A message that is not a lifecycle message. */
  protected onMessage(_msg: unknown): void {}

  /** The worker is stopping: fail the call in flight with `err`. */
  protected abstract onKill(err: PluginError): void;

  /** The error a death is reported as (a runner may add what it knows, e.g. the plugin's stderr). */
  protected explain(err: PluginError): PluginError {
    return err;
  }

  /** Why the worker stopped, for a call that finds it dead. */
  protected get deathError(): PluginError {
    return this.#deathError ?? new PluginError('trap', `${this.name}: the worker has stopped`);
  }

  /** Stop the worker now; a call in flight (and a start in progress) fails with `err`. */
  kill(reason: PluginError): void {
    if (this.dead) return;
    this.dead = true;
    const err = this.explain(reason);
    this.#deathError = err;
    clearTimeout(this.#startTimer);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#failStart(err);
    this.onKill(err);
    queueMicrotask(() => this.#init.onDead?.());
    void this.worker.terminate();
  }

  /**
   * Run one call on the worker: referenced while it runs, stopped when it outlives `timeoutMs`
   * or the caller's signal aborts (a workflow node's timeout, a cancelled run).
   *
   * The timeout is one timer per worker, not one per call: a call sets its deadline, and the
   * timer, when it fires, stops the worker if the call in flight is past its deadline, or re-arms
   * itself for the call's remaining time. A run of sequential calls creates and clears no timer.
   */
  protected async guard<T>(host: CallHost | undefined, context: ErrorContext, timeoutMs: number, run: () => Promise<T>): Promise<T> {
    if (this.dead) throw this.deathError;
    const where = `${this.name}${context.node ? `/${context.node}` : ''}${context.phase ? ` (${context.phase})` : ''}`;
    if (this.#inCall) throw new Error(`${where}: a sandbox worker got two calls at once`);
    this.#inCall = true;
    callsInFlight++;
    this.worker.ref();
    this.#deadline = performance.now() + timeoutMs;
    this.#onTimeout = () => {
      this.kill(new PluginError('timeout', `${where} did not finish within its timeout of ${timeoutMs} ms; it was stopped`, { context }));
    };
    this.#armTimer(timeoutMs);
    const signal = host?.ctx.signal;
    const onAbort = (): void => {
      const reason: unknown = signal?.reason;
      this.kill(reason instanceof PluginError ? reason : new PluginError('plugin-error', `${where} was cancelled by the host; it was stopped`, { context }));
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.dead) throw this.deathError;
      return await run();
    } finally {
      callsInFlight--;
      this.#onTimeout = undefined;
      signal?.removeEventListener('abort', onAbort);
      this.#inCall = false;
      if (!this.dead) this.worker.unref();
    }
  }

  /** Arm the worker's one call timer to fire within `ms`, unless it already fires by then. */
  #armTimer(ms: number): void {
    const at = performance.now() + ms;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    // Unreferenced: the worker itself is referenced while a call runs, so the timer still fires.
    this.#timer = setTimeout(() => this.#timerFired(), ms).unref();
  }

  #timerFired(): void {
    this.#timer = undefined;
    const onTimeout = this.#onTimeout;
    // No call in flight: nothing to time; the next call arms the timer again.
    if (!onTimeout || this.dead) return;
    const left = this.#deadline - performance.now();
    // Node timers may fire up to 1 ms early: the call gets its full time.
    if (left > 0.5) this.#armTimer(Math.ceil(left));
    else onTimeout();
  }

  async close(): Promise<void> {
    this.kill(new PluginError('plugin-error', `plugin ${this.name} was closed`));
  }
}
