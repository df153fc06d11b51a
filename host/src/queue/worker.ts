/**
 * A queue worker: takes batch items from the queue (BullMQ on Redis) and runs each exactly as a
 * local batch's worker thread would (`batch-worker.ts`: the same plugin loading, grants,
 * retries on a fresh instance, timeouts and caps), on a pool of threads per batch. It runs only
 * the workflow files and plugin bytes a producer named by sha256, and stores each item's result
 * once (HSETNX): a redelivered item never yields a second result. Its threads serve plugin
 * storage (`wasi:keyvalue`) from the queue's Redis (storage/redis.ts), each on a connection of
 * its own, so that a plugin's data is one store across every worker of the queue.
 */
import { join } from 'node:path';
import { hostname } from 'node:os';
import { Worker as BullWorker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { isPluginError, PluginError } from '../errors.js';
import { intersectGrants } from '../installed/lockfile.js';
import type { PermissionsGrant } from '../sandbox/policy.js';
import { BatchThreadPool, ThreadLostError } from '../workflow/batch-pool.js';
import type { BatchItemResult, WorkerInit } from '../workflow/batch.js';
import { cachedPath, fetchBlob, localPluginIndex, queueCacheDir } from './blobs.js';
import { connectRedis, DEFAULT_QUEUE_NAME, redactUrl, type QueueConnection } from './connection.js';
import { sha256 } from './workflow-files.js';
import { bullQueueName, keys, type BatchSpec, type ItemJob } from './protocol.js';

export interface QueueWorkerOptions extends QueueConnection {
  /** Items run at once: threads per batch (default 1). */
  concurrency?: number;
  /** Directories of plugin files the worker may run instead of fetching the same bytes. */
  plugins?: string[];
  /** How long an item whose worker died stays claimed before another worker takes it (ms, default 30 s). */
  stallTimeoutMs?: number;
  /** What this worker grants at most, on top of what the producer granted. */
  grant?: PermissionsGrant;
  /** Lines about what the worker does (joining a batch, refusing an item). */
  onEvent?: (line: string) => void;
}

/** Counts of what a worker did. */
export interface QueueWorkerStats {
  items: number;
  failed: number;
  /** Jobs of a batch that had ended or been started over: dropped unrun. */
  skipped: number;
  batches: number;
}

interface Batch {
  spec: BatchSpec;
  pool: Promise<BatchThreadPool>;
  lastUsed: number;
  /** When opening it failed: its items get that error, until it is tried again. */
  failedAt?: number;
}

/** How long a batch's spec is used without asking Redis again. */
const SPEC_CACHE_MS = 5000;

/** A batch that could not be opened here is tried again after this long. */
const RETRY_OPEN_MS = 10_000;

/** Batches whose pools stay open at once; the least recently used is closed first. */
const MAX_OPEN_BATCHES = 2;
/** A batch's pool is closed after this long without items. */
const IDLE_MS = 60_000;

export class QueueWorker {
  readonly stats: QueueWorkerStats = { items: 0, failed: 0, skipped: 0, batches: 0 };
  readonly #redis: Redis;
  readonly #queue: string;
  readonly #options: QueueWorkerOptions;
  /** Open pools by what they run (`BatchSpec.runtime`): the next batch of the same workflow and plugins reuses the threads. */
  readonly #batches = new Map<string, Batch>();
  readonly #specs = new Map<string, { spec: BatchSpec; at: number }>();
  readonly #seen = new Set<string>();
  readonly #local: Map<string, string>;
  #bull!: BullWorker<ItemJob>;
  #idleTimer?: NodeJS.Timeout;

  private constructor(redis: Redis, options: QueueWorkerOptions, local: Map<string, string>) {
    this.#redis = redis;
    this.#queue = options.name ?? DEFAULT_QUEUE_NAME;
    this.#options = options;
    this.#local = local;
  }

  /** Connect (a clear `queue-unavailable` when Redis cannot be reached) and start taking items. */
  static async start(options: QueueWorkerOptions): Promise<QueueWorker> {
    const redis = await connectRedis(options);
    const worker = new QueueWorker(redis, options, await localPluginIndex(options.plugins ?? []));
    const stall = options.stallTimeoutMs ?? 30_000;
    const concurrency = Math.max(1, options.concurrency ?? 1);
    worker.#bull = new BullWorker<ItemJob>(bullQueueName(worker.#queue), (job) => worker.#process(job), {
      connection: redis,
      concurrency,
      // An item's lock is renewed while it runs (its thread leaves this event loop free); a dead
      // worker's lock runs out after `stall`, and the next stall check hands the item on.
      lockDuration: stall,
      stalledInterval: Math.max(500, Math.floor(stall / 2)),
      // Redelivered after two deaths, failed (an error record) on the third.
      maxStalledCount: 2,
      name: `${hostname()}:${process.pid}`,
    });
    worker.#bull.on('error', () => {}); // connection errors while Redis restarts: BullMQ reconnects
    worker.#idleTimer = setInterval(() => worker.#closeIdle(), 10_000);
    worker.#idleTimer.unref();
    await worker.#bull.waitUntilReady();
    return worker;
  }

  get url(): string {
    return redactUrl(this.#options.url);
  }

  /** The spec of a job's batch generation (cached a few seconds), or undefined when it ended or started over. */
  async #spec(job: ItemJob): Promise<BatchSpec | undefined> {
    const key = `${job.b}.${job.g}`;
    const cached = this.#specs.get(key);
    if (cached && Date.now() - cached.at < SPEC_CACHE_MS) return cached.spec;
    const text = await this.#redis.get(keys(this.#queue).spec(job.b));
    if (!text) return undefined;
    const spec = JSON.parse(text) as BatchSpec;
    if (spec.gen !== job.g) return undefined;
    this.#specs.set(key, { spec, at: Date.now() });
    if (!this.#seen.has(key)) {
      this.#seen.add(key);
      this.stats.batches++;
      this.#options.onEvent?.(`batch ${spec.batch} (from ${spec.producer.host}, → ${spec.producer.out}): ${spec.plugins.length} plugin${spec.plugins.length === 1 ? '' : 's'}, workflow ${spec.workflow}`);
    }
    if (this.#specs.size > 64) this.#specs.delete(this.#specs.keys().next().value!);
    return spec;
  }

  /** The local files of a batch (fetched and checked once), and its pool of threads. */
  async #open(spec: BatchSpec): Promise<BatchThreadPool> {
    const key = spec.runtime;
    const have = this.#batches.get(key);
    if (have && !(have.failedAt && Date.now() - have.failedAt > RETRY_OPEN_MS)) {
      have.lastUsed = Date.now();
      return have.pool;
    }
    this.#batches.delete(key);
    const pool = (async () => {
      const dir = join(queueCacheDir(), 'flows', sha256(Buffer.from(JSON.stringify(spec.files))));
      for (const f of spec.files) {
        if (f.path.split('/').includes('..') || f.path.startsWith('/')) throw new PluginError('invalid-workflow', `workflow file ${f.path}: a path outside the batch's folder; refused`);
        await fetchBlob(this.#redis, this.#queue, f.sha256, join(dir, ...f.path.split('/')), `workflow file ${f.path}`);
      }
      const grants: Record<string, PermissionsGrant | null> = {};
      const plugins: string[] = [];
      for (const p of spec.plugins) {
        const local = this.#local.get(p.sha256);
        const file = local ?? (await fetchBlob(this.#redis, this.#queue, p.sha256, cachedPath(p.sha256, '.wasm'), `plugin ${p.name} (${p.file})`));
        plugins.push(file);
        const mine = this.#options.grant;
        grants[file] = p.grant && mine ? intersectGrants(p.grant, mine) : (p.grant ?? mine ?? null);
      }
      const init: WorkerInit = {
        workflow: join(dir, ...spec.workflow.split('/')),
        plugins,
        grants,
        ...(spec.stepLimit !== undefined ? { stepLimit: spec.stepLimit } : {}),
        ...(spec.store !== undefined ? { store: spec.store } : {}),
        ...(spec.timings ? { timings: true } : {}),
        // Plugin storage from the queue's Redis: items run on any worker share one store.
        storageRedis: { url: this.#options.url, ...(this.#options.caFile ? { caFile: this.#options.caFile } : {}) },
      };
      return BatchThreadPool.open(init, this.#options.concurrency ?? 1);
    })();
    const entry: Batch = { spec, pool, lastUsed: Date.now() };
    pool.catch(() => (entry.failedAt = Date.now()));
    this.#batches.set(key, entry);
    // Keep few batches open: the least recently used one is closed.
    if (this.#batches.size > MAX_OPEN_BATCHES) {
      const [oldest] = [...this.#batches].filter(([k]) => k !== key).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      if (oldest) void this.#closeBatch(oldest[0]);
    }
    return pool;
  }

  /** Close a batch's threads (each closes its storage connection); resolves when they are gone. */
  #closeBatch(key: string): Promise<void> {
    const b = this.#batches.get(key);
    if (!b) return Promise.resolve();
    this.#batches.delete(key);
    return b.pool.then((p) => p.close(), () => {});
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const [key, b] of this.#batches) {
      if (now - b.lastUsed > IDLE_MS) {
        void b.pool.then((p) => {
          if (p.busy === 0) void this.#closeBatch(key);
        }, () => void this.#closeBatch(key));
      }
    }
  }

  async #process(job: Job<ItemJob>): Promise<void> {
    const item = job.data;
    const spec = await this.#spec(item);
    if (!spec) {
      // The batch ended, or its producer started it over: nothing to run for this job.
      this.stats.skipped++;
      return;
    }
    let result: BatchItemResult;
    try {
      const pool = await this.#open(spec);
      result = { ...(await pool.run(item.input)), index: item.i };
    } catch (err) {
      // A crashed thread: throw, so BullMQ retries the item (another attempt, maybe elsewhere).
      if (err instanceof ThreadLostError) throw err;
      // The batch cannot run here (bytes refused, a plugin that does not load): the item's record says why.
      const code = isPluginError(err) ? err.code : 'plugin-error';
      const message = err instanceof Error ? err.message : String(err);
      result = { index: item.i, ok: false, error: { code, message } };
      if (this.stats.failed < 3) this.#options.onEvent?.(`item ${item.i} of batch ${spec.batch}: error[${code}]: ${message.split('\n')[0]}`);
    }
    this.stats.items++;
    if (!result.ok) this.stats.failed++;
    // The first result of an item is the one kept: a redelivered item's second result is dropped.
    await this.#redis.hsetnx(keys(this.#queue).results(item.b, item.g), String(item.i), JSON.stringify(result));
  }

  /**
   * Stop taking items. `force` false: the items in flight finish and their results are stored;
   * true: they are abandoned (their locks run out and other workers take them).
   */
  async close(force = false): Promise<void> {
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    await this.#bull.close(force);
    await Promise.all([...this.#batches.keys()].map((key) => this.#closeBatch(key)));
    this.#redis.disconnect();
  }
}
