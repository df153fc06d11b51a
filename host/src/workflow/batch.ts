/**
 * Batch runs: one workflow over many inputs, spread over worker threads (each loads the
 * plugins and the workflow once, then runs items one at a time). Results come back in input
 * order; a failing item is recorded and the rest carry on.
 */
import type { PermissionsGrant } from '../sandbox/policy.js';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toolchainRoot } from '../wit-world.js';
import { PluginError, type Attempt, type ErrorCode } from '../errors.js';
import type { ReloadEvent } from '../hot-reload.js';

export interface BatchOptions {
  /** The workflow file. */
  workflow: string;
  /** Plugin component files to load in every worker. */
  plugins: string[];
  /** Worker threads to use (default 1). */
  concurrency?: number;
  stepLimit?: number;
  cacheDir?: string;
  /** Initial store of every run (each item gets its own copy). */
  store?: Record<string, unknown>;
  /** Called as items finish (in completion order). */
  onProgress?: (done: number, total: number, failed: number) => void;
  /** Hot reload: workers follow changes to the plugin files. */
  watch?: boolean;
  /** What every plugin is granted at most (see `LoadOptions.permissions`). */
  permissions?: PermissionsGrant;
  /** Reload events from the workers (with watch). */
  onReload?: (event: ReloadEvent) => void;
  /** Give every result a `timing` summary (for `flow --batch --report`); off by default. */
  timings?: boolean;
}

/**
 * One node visit of an item, as its trace step names it (`flow/node` inside nested flows):
 * how long it took, its exec attempts beyond the first, and its phase calls retried on a fresh
 * instance.
 */
export interface StepTiming {
  node: string;
  ms: number;
  retries: number;
  instanceRetries: number;
}

/**
 * A compact summary of one item's run, not its whole trace: when it finished (epoch ms, the
 * worker's clock), how long the run took, and its node visits in order (the failing one last).
 */
export interface ItemTiming {
  finishedAt: number;
  ms: number;
  steps: StepTiming[];
}

/**
 * One item's result. `retried`: how many of its phase calls were retried on a fresh instance after
 * their instance died (see `LoadOptions.retryCrashed`); absent when none. A failure retried and
 * failed again carries both `attempts`.
 */
export type BatchItemResult =
  | { index: number; ok: true; output: unknown; action: string; path: string[]; store: Record<string, unknown>; retried?: number; timing?: ItemTiming }
  | {
      index: number;
      ok: false;
      error: { code: ErrorCode; message: string; node?: string; phase?: string; plugin?: string; attempts?: Attempt[] };
      retried?: number;
      timing?: ItemTiming;
    };

/** Messages between the batch and its workers. */
export type ToWorker = { kind: 'run'; items: { index: number; input: unknown }[] } | { kind: 'stop' };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'init-failed'; code: ErrorCode; message: string }
  | { kind: 'results'; results: BatchItemResult[] }
  | { kind: 'reload'; event: ReloadEvent };

export interface WorkerInit {
  workflow: string;
  plugins: string[];
  permissions?: PermissionsGrant;
  stepLimit?: number;
  cacheDir?: string;
  store?: Record<string, unknown>;
  watch?: boolean;
  timings?: boolean;
  /**
   * Per plugin file, what it is granted (`null`: what its manifest asks for). A file named here
   * is not looked up among installed plugins: a queue worker runs cached copies with the grant
   * the producer sent.
   */
  grants?: Record<string, PermissionsGrant | null>;
  /**
   * Serve plugin storage (`wasi:keyvalue`) from this Redis instead of the local SQLite file: a
   * queue worker's threads use the queue's Redis, so that items run on any machine share one
   * store. Each thread opens its own connection at its first storage call and closes it on stop.
   */
  storageRedis?: { url: string; caFile?: string };
}

/** The batch worker thread's entry point and the Node flags it needs. */
export function workerEntry(): { url: URL; execArgv: string[] } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // From TypeScript sources (tsx): tsx cannot load a worker's .ts entry on Node 20, so use the
    // compiled worker when there is one.
    const compiled = join(toolchainRoot(), 'dist', 'host', 'src', 'workflow', 'batch-worker.js');
    if (existsSync(compiled)) return { url: pathToFileURL(compiled), execArgv: [] };
    return { url: new URL('./batch-worker.ts', self), execArgv: ['--import', 'tsx'] };
  }
  // Compiled (dist/, or the bundled CLI): the worker is always the compiled module under dist/host.
  return { url: pathToFileURL(join(toolchainRoot(), 'dist', 'host', 'src', 'workflow', 'batch-worker.js')), execArgv: [] };
}

/**
 * Run `inputs` through the workflow; `emit` gets each result in input order as soon as all
 * earlier ones are done (a result waits only for the results before it, never for the end of
 * the batch), and the next result waits for `emit`'s promise. Resolves with the counts. No
 * inputs: resolves at once, without starting a worker.
 */
export async function runBatch(inputs: unknown[], options: BatchOptions, emit: (result: BatchItemResult) => void | Promise<void>): Promise<{ ok: number; failed: number }> {
  if (inputs.length === 0) return { ok: 0, failed: 0 }; // nothing to run: no worker is started
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, inputs.length));
  const entry = workerEntry();
  const init: WorkerInit = {
    workflow: options.workflow,
    plugins: options.plugins,
    ...(options.stepLimit !== undefined ? { stepLimit: options.stepLimit } : {}),
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.store !== undefined ? { store: options.store } : {}),
    ...(options.watch ? { watch: true } : {}),
    ...(options.permissions ? { permissions: options.permissions } : {}),
    ...(options.timings ? { timings: true } : {}),
  };
  const pending = new Map<number, BatchItemResult>();
  let nextToEmit = 0;
  let nextToSend = 0;
  let done = 0;
  let failed = 0;
  let emitting = Promise.resolve();

  const workers = Array.from({ length: concurrency }, () => new Worker(fileURLToPath(entry.url), { workerData: init, execArgv: entry.execArgv }));
  try {
    await new Promise<void>((resolve, reject) => {
      let ready = 0;
      let finished = false;
      const fail = (err: Error): void => {
        if (finished) return;
        finished = true;
        reject(err);
      };
      // Items go out in small chunks, and results come back per chunk: fewer messages keep the
      // main thread's share of a core small, so the workers scale.
      const chunk = Math.max(1, Math.min(16, Math.floor(inputs.length / (concurrency * 8))));
      const sendNext = (worker: Worker): void => {
        if (nextToSend >= inputs.length) return;
        const items: { index: number; input: unknown }[] = [];
        while (items.length < chunk && nextToSend < inputs.length) items.push({ index: nextToSend, input: inputs[nextToSend++] });
        worker.postMessage({ kind: 'run', items } satisfies ToWorker);
      };
      for (const worker of workers) {
        worker.on('error', (err) => fail(new PluginError('trap', `a batch worker crashed: ${err.message}`, { cause: err })));
        worker.on('message', (msg: FromWorker) => {
          if (msg.kind === 'init-failed') return fail(new PluginError(msg.code, msg.message));
          if (msg.kind === 'reload') return options.onReload?.(msg.event);
          if (msg.kind === 'ready') {
            ready++;
            // Two chunks in flight per worker: the next is queued while one runs, so a worker never
            // waits for the main thread.
            sendNext(worker);
            return sendNext(worker);
          }
          for (const result of msg.results) {
            done++;
            if (!result.ok) failed++;
            pending.set(result.index, result);
          }
          options.onProgress?.(done, inputs.length, failed);
          emitting = emitting.then(async () => {
            while (pending.has(nextToEmit)) {
              const r = pending.get(nextToEmit)!;
              pending.delete(nextToEmit);
              nextToEmit++;
              await emit(r);
            }
          });
          emitting.catch(fail);
          if (done === inputs.length) {
            emitting.then(() => {
              finished = true;
              resolve();
            }, fail);
          } else sendNext(worker);
        });
      }
      void ready;
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { ok: inputs.length - failed, failed };
}
