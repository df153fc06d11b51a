/**
 * A batch's producer side: publishes the workflow files and the plugins' bytes (by sha256) and
 * the batch's spec, enqueues one job per input (BullMQ, a window ahead of what is written), and
 * hands the results back in input order as workers store them. A producer started again on the
 * same `--out` with `resume` continues the same batch: what is done is not run again.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { sha256Of } from '../component.js';
import { grantForInstalled } from '../installed/store.js';
import type { PermissionsGrant } from '../sandbox/policy.js';
import type { BatchItemResult } from '../workflow/batch.js';
import { publishBlob } from './blobs.js';
import { connectRedis, DEFAULT_QUEUE_NAME, redactUrl, type QueueConnection } from './connection.js';
import { bullQueueName, jobId, keys, type BatchSpec, type ItemJob, type SpecPlugin } from './protocol.js';
import { collectWorkflowFiles, sha256 } from './workflow-files.js';

export interface QueuedBatchOptions extends QueueConnection {
  /** The workflow file. */
  workflow: string;
  /** Plugin component files (as a local batch would load them). */
  plugins: string[];
  /** What every plugin is granted at most (an installed plugin: narrowed to its consent). */
  permissions?: PermissionsGrant;
  stepLimit?: number;
  store?: Record<string, unknown>;
  timings?: boolean;
  /** The batch's input file and results file: they name the batch (one batch per results file and machine). */
  batchFile: string;
  out: string;
  /** Continue the batch of `out` (its generation on the queue) instead of starting it over. */
  resume?: boolean;
  /** The index of `inputs[0]` in the whole batch (a resumed run skips what `out` records). */
  indexOffset?: number;
  /** Called as results are stored (in completion order). */
  onProgress?: (done: number, total: number, failed: number) => void;
  /** Notes for the user (waiting for workers, Redis lost the batch, …). */
  onNote?: (line: string) => void;
  /** How often the producer looks for new results when none is waiting (ms, default 20). */
  pollMs?: number;
}

/** Jobs enqueued ahead of the first result not yet written. */
const WINDOW = 2000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A batch's name on the queue: one per results file on one machine. */
export function batchId(queue: string, out: string): string {
  return sha256(Buffer.from(`${hostname()}\0${resolve(out)}\0${queue}`)).slice(0, 20);
}

async function pluginSpecs(files: string[], permissions: PermissionsGrant | undefined): Promise<{ spec: SpecPlugin; bytes: Buffer }[]> {
  const out: { spec: SpecPlugin; bytes: Buffer }[] = [];
  for (const file of files) {
    const bytes = readFileSync(file);
    // An installed plugin: integrity-checked here, and the grant consented at install travels.
    const grant = (await grantForInstalled(file, permissions)) ?? null;
    out.push({ spec: { name: basename(file, '.wasm'), file: basename(file), sha256: await sha256Of(bytes), size: bytes.length, grant }, bytes });
  }
  return out;
}

/**
 * Run `inputs` on the queue's workers; `emit` gets each result in input order (its `index`
 * relative to `inputs`), as soon as it and all before it are stored. Resolves with the counts.
 */
export async function runQueuedBatch(inputs: unknown[], options: QueuedBatchOptions, emit: (result: BatchItemResult) => void | Promise<void>): Promise<{ ok: number; failed: number }> {
  if (inputs.length === 0) return { ok: 0, failed: 0 };
  const name = options.name ?? DEFAULT_QUEUE_NAME;
  const k = keys(name);
  const note = options.onNote ?? (() => {});
  const offset = options.indexOffset ?? 0;
  const end = offset + inputs.length;
  const pollMs = options.pollMs ?? 20;

  const wf = collectWorkflowFiles(options.workflow);
  const plugins = await pluginSpecs(options.plugins, options.permissions);
  const batchBytes = readFileSync(options.batchFile);
  // What the items run on; with the inputs, what the batch is (--report or not, the same batch).
  const runsOn = sha256(
    Buffer.from(JSON.stringify({ files: wf.files.map((f) => [f.path, f.sha256]), workflow: wf.workflow, plugins: plugins.map((p) => [p.spec.sha256, p.spec.grant]), store: options.store ?? null, stepLimit: options.stepLimit ?? null })),
  );
  const runtime = options.timings ? sha256(Buffer.from(`${runsOn}\0timings`)) : runsOn;
  const fingerprint = sha256(Buffer.from(`${runsOn}\0${sha256(batchBytes)}`));

  const redis = await connectRedis(options);
  const queue = new Queue<ItemJob>(bullQueueName(name), { connection: redis });
  queue.on('error', () => {}); // reconnecting while Redis restarts
  const batch = batchId(name, options.out);
  let gen = 0;
  let spec!: BatchSpec;

  const publish = async (): Promise<void> => {
    for (const f of wf.files) await publishBlob(redis, name, f.bytes, f.sha256);
    for (const p of plugins) await publishBlob(redis, name, p.bytes, p.spec.sha256);
    await redis.set(k.generation(batch), String(gen));
    await redis.set(k.spec(batch), JSON.stringify(spec));
  };

  let nextToEmit = offset;
  let nextToEnqueue = offset;
  let failed = 0;
  try {
    const previous = await redis.get(k.spec(batch));
    const current = previous ? (JSON.parse(previous) as BatchSpec) : undefined;
    if (options.resume && current && current.fingerprint === fingerprint) gen = current.gen;
    else {
      if (options.resume && current) note(`queue: the batch of ${options.out} on the queue was for other inputs, workflow or plugins; its unrecorded items run again`);
      if (current) await redis.del(k.results(batch, current.gen));
      gen = await redis.incr(k.generation(batch));
    }
    spec = {
      batch,
      gen,
      fingerprint,
      runtime,
      workflow: wf.workflow,
      files: wf.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
      plugins: plugins.map((p) => p.spec),
      ...(options.store !== undefined ? { store: options.store } : {}),
      ...(options.stepLimit !== undefined ? { stepLimit: options.stepLimit } : {}),
      ...(options.timings ? { timings: true } : {}),
      producer: { host: hostname(), out: resolve(options.out) },
    };
    await publish();
    const resultsKey = k.results(batch, gen);

    /** Enqueue items `from`…`to` (absolute) that have no stored result (jobs that exist are kept: same ids). */
    const enqueue = async (from: number, to: number): Promise<void> => {
      for (let lo = from; lo < to; lo += 500) {
        const hi = Math.min(to, lo + 500);
        const fields = Array.from({ length: hi - lo }, (_, j) => String(lo + j));
        const done = await redis.hmget(resultsKey, ...fields);
        const jobs = fields
          .filter((_, j) => done[j] === null)
          .map((f) => {
            const i = Number(f);
            return {
              name: 'item',
              data: { b: batch, g: gen, i, input: inputs[i - offset] },
              opts: { jobId: jobId(batch, gen, i), attempts: 3, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } },
            };
          });
        if (jobs.length) await queue.addBulk(jobs);
      }
    };
    const fill = async (): Promise<void> => {
      const to = Math.min(end, nextToEmit + WINDOW);
      if (nextToEnqueue < to) {
        await enqueue(nextToEnqueue, to);
        nextToEnqueue = to;
      }
    };
    await fill();

    let lastCheck = Date.now();
    let lastProgressAt = Date.now();
    let waitingSaid = false;
    let reported = -1;
    while (nextToEmit < end) {
      const hi = Math.min(end, nextToEmit + 256);
      const fields = Array.from({ length: hi - nextToEmit }, (_, j) => String(nextToEmit + j));
      const values = await redis.hmget(resultsKey, ...fields);
      let n = 0;
      while (n < values.length && values[n] !== null) {
        const r = JSON.parse(values[n]!) as BatchItemResult;
        if (!r.ok) failed++;
        await emit({ ...r, index: nextToEmit + n - offset });
        n++;
      }
      if (n > 0) {
        await redis.hdel(resultsKey, ...fields.slice(0, n));
        nextToEmit += n;
        lastProgressAt = Date.now();
        await fill();
      }
      const stored = await redis.hlen(resultsKey);
      const done = Math.min(end, nextToEmit + stored) - offset;
      if (done !== reported) {
        if (done > reported && n === 0) lastProgressAt = Date.now();
        reported = done;
        options.onProgress?.(done, inputs.length, failed);
      }
      if (n > 0) continue;
      if (Date.now() - lastCheck >= 1000) {
        lastCheck = Date.now();
        // Redis lost the batch (restarted without persistence): publish it again, enqueue again what is not done.
        if (!(await redis.exists(k.spec(batch)))) {
          note(`queue: ${redactUrl(options.url)} no longer holds this batch (Redis restarted without its data?); publishing it again`);
          await publish();
          await enqueue(nextToEmit, nextToEnqueue);
        }
        // Items the workers gave up on (a thread crashed 3 times, workers died on it 3 times): an error record each.
        for (const job of await queue.getFailed(0, 999)) {
          if (!job?.data || job.data.b !== batch || job.data.g !== gen) continue;
          const stalled = /stalled/i.test(job.failedReason ?? '');
          const message = stalled
            ? `workers died running this item ${job.stalledCounter || 3} times (killed, crashed or lost); it was not run to the end`
            : `the item could not be run: ${job.failedReason} (after ${job.attemptsMade} attempts)`;
          const record: BatchItemResult = { index: job.data.i, ok: false, error: { code: 'trap', message } };
          await redis.hsetnx(resultsKey, String(job.data.i), JSON.stringify(record));
          await job.remove().catch(() => {});
        }
        if (Date.now() - lastProgressAt > 2000) {
          const workers = await queue.getWorkersCount();
          if (workers === 0 && !waitingSaid) {
            waitingSaid = true;
            note(`waiting: no worker is connected to the queue "${name}" on ${redactUrl(options.url)}; start one with: pocket-wit worker --queue ${redactUrl(options.url)}${name === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${name}`}`);
          } else if (workers > 0 && waitingSaid) {
            waitingSaid = false;
            note(`queue: ${workers} worker${workers === 1 ? '' : 's'} connected`);
          }
        }
      }
      await sleep(pollMs);
    }
    // Done: the batch's keys go (late duplicates of its items find no spec and are dropped).
    await redis.del(k.spec(batch), resultsKey);
    return { ok: inputs.length - failed, failed };
  } finally {
    await queue.close().catch(() => {});
    redis.disconnect();
  }
}

