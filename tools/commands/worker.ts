/**
 * `pocket-wit worker --queue redis://…`: a long-running process that takes batch items from a
 * queue (BullMQ on Redis) and runs them with the local sandbox, as a local batch's worker
 * threads would. SIGTERM or SIGINT: no new items, the ones in flight finish, exit 0; a second
 * signal exits at once (those items go to another worker after --stall-timeout).
 */
import type { CAC } from 'cac';
import { parseDuration } from '../../host/src/index.js';
import { grantFromFlags, UsageError, type GrantFlags } from '../cli-support.js';
import { checkPluginDirs } from '../plugin-search.js';
import { loadQueueModule } from '../queue-module.js';

interface WorkerOptions extends GrantFlags {
  queue?: string;
  queueName?: string;
  queueCa?: string;
  plugins?: string | string[];
  concurrency?: string | number;
  stallTimeout?: string;
}

export function registerWorker(cli: CAC): void {
  cli
    .command('worker', 'Run batch items from a queue (BullMQ on Redis) that flow --batch --queue fills; runs until SIGTERM')
    .option('--queue <url>', 'The Redis of the queue: redis://[user:password@]host:port[/db], rediss://… for TLS (password also from POCKET_WIT_REDIS_PASSWORD)')
    .option('--queue-name <name>', 'Which queue on that Redis (producers and workers of one name work together)', { default: 'pocket-wit' })
    .option('--queue-ca <file>', 'With rediss://: a PEM file of the CA that signed the server certificate')
    .option('--plugins <dir>', 'A directory of plugin .wasm files this worker may run instead of fetching the same bytes (matched by sha256); repeatable')
    .option('--concurrency <n>', 'Items at once: worker threads', { default: 1 })
    .option('--stall-timeout <duration>', 'How long an item whose worker died stays claimed before another worker takes it', { default: '30s' })
    .option('--timeout <duration>', 'Per-call time limit for every plugin; only lowers what the producer granted')
    .option('--memory <size>', 'Memory cap for every plugin; only lowers what the producer granted')
    .option('--deny-fs', 'Grant no plugin any directory')
    .option('--deny-net', 'Grant no plugin any network host')
    .option('--deny-env', 'Grant no plugin any environment variable')
    .option('--deny-storage', 'Grant no plugin any storage')
    .option('--deny-all', 'All four: --deny-fs --deny-net --deny-env --deny-storage')
    .example('pocket-wit worker --queue redis://127.0.0.1:6379 --concurrency 2')
    .action(async (opts: WorkerOptions) => {
      if (!opts.queue) throw new UsageError('worker needs --queue redis://HOST:PORT (the Redis that flow --batch --queue uses)');
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a whole number of at least 1 (got "${opts.concurrency}")`);
      let stallTimeoutMs: number;
      try {
        stallTimeoutMs = parseDuration(String(opts.stallTimeout));
      } catch {
        throw new UsageError(`--stall-timeout "${opts.stallTimeout}" is not a duration; write for example --stall-timeout 30s`);
      }
      if (stallTimeoutMs < 1000) throw new UsageError('--stall-timeout must be at least 1s (the worker renews its claim on an item every half of it)');
      const grant = grantFromFlags(opts);
      checkPluginDirs(([] as string[]).concat(opts.plugins ?? [])); // a missing --plugins folder is an error, not a silent skip
      const { QueueWorker } = await loadQueueModule();
      const say = (line: string): void => void process.stderr.write(`${line}\n`);
      const worker = await QueueWorker.start({
        url: opts.queue,
        name: opts.queueName ?? 'pocket-wit',
        ...(opts.queueCa ? { caFile: opts.queueCa } : {}),
        concurrency,
        stallTimeoutMs,
        plugins: ([] as string[]).concat(opts.plugins ?? []),
        ...(grant ? { grant } : {}),
        onEvent: say,
      });
      say(`worker: taking items from queue "${opts.queueName ?? 'pocket-wit'}" on ${worker.url} (concurrency ${concurrency}); stop with SIGTERM or Ctrl-C`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) {
            say(`worker: ${signal} again: exiting now; the items in flight go to another worker after --stall-timeout`);
            process.exit(130);
          }
          stopping = true;
          say(`worker: ${signal}: taking no new items; finishing the ones in flight`);
          worker.close().then(resolve, (err: Error) => {
            say(`worker: closing failed: ${err.message}`);
            resolve();
          });
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      });
      const s = worker.stats;
      say(`worker: stopped: ${s.items} item${s.items === 1 ? '' : 's'} run (${s.failed} failed) in ${s.batches} batch${s.batches === 1 ? '' : 'es'}${s.skipped ? `, ${s.skipped} dropped (their batch had ended or started over)` : ''}`);
    });
}
