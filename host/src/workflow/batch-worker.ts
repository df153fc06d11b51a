/** A batch worker thread: loads the plugins and the workflow once, then runs the items it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { isPluginError } from '../errors.js';
import { silentLogSink } from '../host-api.js';
import { loadPlugin } from '../load.js';
import { WatchedPlugin } from '../hot-reload.js';
import { grantForInstalled } from '../installed/store.js';
import { RedisBackend } from '../storage/redis.js';
import { builtinNodeTypes } from './builtins/index.js';
import { Flow, WorkflowRunError, type TraceStep } from './engine.js';
import { NodeRegistry } from './node-types.js';
import type { BatchItemResult, FromWorker, ItemTiming, ToWorker, WorkerInit } from './batch.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const send = (msg: FromWorker): void => port.postMessage(msg);
/** This thread's own storage connection when storage is served from Redis (a queue worker); otherwise plugins get the SQLite default. */
const storage = init.storageRedis ? new RedisBackend(init.storageRedis) : undefined;

async function start(): Promise<Flow> {
  const registry = new NodeRegistry(builtinNodeTypes());
  const load = async (file: string) => {
    // An installed plugin: integrity-checked, and granted at most what was consented at install.
    // A queue worker's cached copy: the grant the producer sent.
    const permissions = init.grants && file in init.grants ? (init.grants[file] ?? undefined) : await grantForInstalled(file, init.permissions);
    // One plugin worker per batch worker: the batch's own workers give the concurrency.
    return loadPlugin(file, {
      log: silentLogSink,
      pool: 1,
      ...(init.cacheDir ? { cacheDir: init.cacheDir } : {}),
      ...(permissions ? { permissions } : {}),
      ...(storage ? { storage } : {}),
    });
  };
  for (const file of init.plugins) {
    registry.addPlugin(init.watch ? await WatchedPlugin.open(file, { load, onEvent: (event) => send({ kind: 'reload', event }) }) : await load(file));
  }
  return Flow.load(init.workflow, registry);
}

start().then(
  (flow) => {
    // Chunks of items arrive ahead of time (two in flight); items run one after another.
    let queue = Promise.resolve();
    port.on('message', (msg: ToWorker) => {
      // Stop: close the storage connection first (QUIT, not a dropped socket), then end the thread.
      if (msg.kind === 'stop') return void (storage?.close() ?? Promise.resolve()).finally(() => process.exit(0));
      queue = queue.then(async () => {
        const results: BatchItemResult[] = [];
        for (const item of msg.items) results.push(await runItem(flow, item));
        send({ kind: 'results', results });
        // Plugin calls are synchronous and the next chunk is already queued: yield to the event
        // loop between chunks, so that file watching (hot reload) and timers get their turn.
        await new Promise<void>((resolve) => setImmediate(resolve));
      });
    });
    send({ kind: 'ready' });
  },
  (err: unknown) => send({ kind: 'init-failed', code: isPluginError(err) ? err.code : 'plugin-error', message: err instanceof Error ? err.message : String(err) }),
);

/** Phase calls of a run retried on a fresh instance (their instance died). */
function retriesIn(trace: TraceStep[]): number {
  return trace.reduce((n, step) => n + (step.instanceRetries?.length ?? 0), 0);
}

/** The item's summary for a batch report: when it finished, how long it took, each node visit. */
function timingOf(started: number, trace: TraceStep[]): ItemTiming {
  // Epoch ms from the system clock, comparable across threads (timeOrigin + performance.now()
  // is per thread and falls behind after a machine suspend).
  return {
    finishedAt: Date.now(),
    ms: performance.now() - started,
    steps: trace.map((s) => ({ node: s.node, ms: s.durationMs, retries: s.retries, instanceRetries: s.instanceRetries?.length ?? 0 })),
  };
}

async function runItem(flow: Flow, msg: { index: number; input: unknown }): Promise<BatchItemResult> {
  let result: BatchItemResult;
  const started = performance.now();
  try {
    const store = new Map(Object.entries(init.store ?? {}));
    const r = await flow.run({ input: msg.input, store, log: silentLogSink, ...(init.stepLimit ? { stepLimit: init.stepLimit } : {}) });
    const retried = retriesIn(r.trace);
    result = { index: msg.index, ok: true, output: r.output, action: r.action, path: r.path, store: r.store, ...(retried ? { retried } : {}), ...(init.timings ? { timing: timingOf(started, r.trace) } : {}) };
  } catch (err) {
    const code = isPluginError(err) ? err.code : 'plugin-error';
    const message = err instanceof Error ? err.message : String(err);
    const attempts = isPluginError(err) && err.attempts ? { attempts: err.attempts } : {};
    const retried = err instanceof WorkflowRunError ? retriesIn(err.trace) : 0;
    result = {
      index: msg.index,
      ok: false,
      error:
        err instanceof WorkflowRunError
          ? { code, message, node: err.node, phase: err.phase, ...(err.plugin ? { plugin: err.plugin } : {}), ...attempts }
          : { code, message, ...attempts },
      ...(retried ? { retried } : {}),
      ...(init.timings ? { timing: timingOf(started, err instanceof WorkflowRunError ? err.trace : []) } : {}),
    };
  }
  return result;
}
