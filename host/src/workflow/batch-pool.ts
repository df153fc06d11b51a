/**
 * A pool of batch worker threads (`batch-worker.ts`) that runs one item at a time per thread,
 * for callers that get items one by one (a queue worker) rather than as a whole batch
 * (`runBatch`). A thread that crashes fails the item it was running and is replaced.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { PluginError } from '../errors.js';
import { workerEntry, type BatchItemResult, type FromWorker, type ToWorker, type WorkerInit } from './batch.js';

/** The item's thread died under it (`trap`): the item itself may be fine, so a caller may run it again. */
export class ThreadLostError extends PluginError {
  constructor(why: string) {
    super('trap', `a batch worker thread ${why}`);
  }
}

interface Thread {
  worker: Worker;
  /** The item it runs, with its settle functions. */
  busy?: { index: number; resolve: (r: BatchItemResult) => void; reject: (e: Error) => void };
}

export class BatchThreadPool {
  readonly #init: WorkerInit;
  readonly #threads: Thread[] = [];
  readonly #waiting: { index: number; input: unknown; resolve: (r: BatchItemResult) => void; reject: (e: Error) => void }[] = [];
  #closed = false;
  #next = 0;

  private constructor(init: WorkerInit) {
    this.#init = init;
  }

  /**
   * Start `threads` threads, each loading the workflow and its plugins; resolves when all are
   * ready, rejects with the first load failure (its code kept).
   */
  static async open(init: WorkerInit, threads: number): Promise<BatchThreadPool> {
    const pool = new BatchThreadPool(init);
    try {
      await Promise.all(Array.from({ length: Math.max(1, threads) }, () => pool.#spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  #spawn(): Promise<void> {
    const entry = workerEntry();
    const worker = new Worker(fileURLToPath(entry.url), { workerData: this.#init, execArgv: entry.execArgv });
    const thread: Thread = { worker };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let gone = false;
      const lost = (why: string): void => {
        if (gone) return; // 'error' is followed by 'exit'
        gone = true;
        const i = this.#threads.indexOf(thread);
        if (i >= 0) this.#threads.splice(i, 1);
        const err = new ThreadLostError(why);
        if (!ready) return reject(err);
        thread.busy?.reject(err);
        thread.busy = undefined;
        // Replace it, so the pool keeps its size; a replacement that cannot start fails what waits.
        if (!this.#closed) this.#spawn().catch((e: Error) => this.#failWaiting(e));
      };
      worker.on('error', (err) => lost(`crashed: ${err.message}`));
      worker.on('exit', (code) => {
        if (!this.#closed) lost(`exited (status ${code})`);
      });
      worker.on('message', (msg: FromWorker) => {
        if (msg.kind === 'init-failed') {
          gone = true;
          void worker.terminate();
          return reject(new PluginError(msg.code, msg.message));
        }
        if (msg.kind === 'ready') {
          ready = true;
          this.#threads.push(thread);
          resolve();
          return this.#dispatch();
        }
        if (msg.kind === 'results') {
          const busy = thread.busy;
          thread.busy = undefined;
          for (const r of msg.results) if (busy && r.index === busy.index) busy.resolve(r);
          this.#dispatch();
        }
      });
    });
  }

  #failWaiting(err: Error): void {
    if (this.#threads.length > 0) return;
    for (const w of this.#waiting.splice(0)) w.reject(err);
  }

  #dispatch(): void {
    for (const thread of this.#threads) {
      if (thread.busy) continue;
      const item = this.#waiting.shift();
      if (!item) return;
      thread.busy = { index: item.index, resolve: item.resolve, reject: item.reject };
      thread.worker.postMessage({ kind: 'run', items: [{ index: item.index, input: item.input }] } satisfies ToWorker);
    }
  }

  /** Run one input through the workflow on the next free thread; the result's `index` is 0. */
  run(input: unknown): Promise<BatchItemResult> {
    if (this.#closed) return Promise.reject(new PluginError('plugin-error', 'the batch thread pool is closed'));
    const index = this.#next++;
    return new Promise<BatchItemResult>((resolve, reject) => {
      this.#waiting.push({ index, input, resolve: (r) => resolve({ ...r, index: 0 }), reject });
      this.#dispatch();
    });
  }

  /** Threads that are running an item. */
  get busy(): number {
    return this.#threads.filter((t) => t.busy).length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const err = new PluginError('plugin-error', 'the batch thread pool was closed');
    for (const w of this.#waiting.splice(0)) w.reject(err);
    await Promise.all(this.#threads.splice(0).map((t) => stopThread(t.worker)));
  }
}

/** How long a stopping thread may take to close its storage connection before it is terminated. */
const STOP_MS = 2000;

/** Ask a thread to stop (it closes what it holds open, such as a Redis connection); terminate it if it has not exited in time. */
async function stopThread(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage({ kind: 'stop' } satisfies ToWorker);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_MS)));
  const tooLate = await Promise.race([exited.then(() => false), late]);
  clearTimeout(timer);
  if (tooLate) await worker.terminate();
}
