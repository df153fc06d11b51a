/**
 * The worker runner (the host's default): a pool of worker threads per plugin, each with its
 * own instance, memory capped, WASI built from the plugin's permissions. Calls go to the idle
 * worker used last (a new one is started while the pool is below its size, otherwise they queue); a call
 * that times out costs its worker, and the pool starts a fresh one for the next call.
 */
import { availableParallelism } from 'node:os';
import { PluginError } from '../errors.js';
import type { CallHost } from '../host-api.js';
import type { Phase, PhaseArgs, PhaseResult, RawMetadata, RunnerFactory } from '../runner.js';
import type { CallRequest } from './channel.js';
import { formatBytes } from './format.js';
import { PluginThread } from './plugin-thread.js';

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export const workerRunner: RunnerFactory = async (transpiled, { name, policy, engine, poolSize }) => {
  const size = poolSize ?? defaultPoolSize();
  if (!Number.isInteger(size) || size < 1) throw new PluginError('invalid-input', `the pool size must be a whole number of 1 or more, got ${size}`);
  const compiled = await engine.compile(transpiled, { memoryBytes: policy.memoryBytes, name });
  const threads: PluginThread[] = [];
  let starting = 0;
  let closed = false;
  const waiting: { resolve(t: PluginThread): void; reject(e: unknown): void }[] = [];

  const spawn = (): PluginThread => {
    const t: PluginThread = new PluginThread({
      name,
      compiled,
      policy,
      // A thread that ran and was stopped (timeout, crash) is replaced at once, so the next call
      // finds a warm one. One that never started is not retried here.
      onDead: () => {
        if (t.started && !closed && live().length + starting === 0) start();
      },
    });
    return t;
  };

  function live(): PluginThread[] {
    for (let i = threads.length - 1; i >= 0; i--) if (threads[i]!.dead) threads.splice(i, 1);
    return threads;
  }

  /** Start a thread; when it is up it joins the pool, and waiting calls get it. */
  function start(): void {
    starting++;
    const t = spawn();
    t.ready.then(
      () => {
        starting--;
        threads.push(t);
        if (closed) void t.close();
        pump();
      },
      (err: unknown) => {
        starting--;
        // The thread could not start: the oldest waiting call gets the reason.
        waiting.shift()?.reject(err);
        pump();
      },
    );
  }

  /**
   * The idle thread used last (`threads` is kept in order of release): it is the one still
   * spinning for its next call, or asleep the shortest time; an older one may have slept long.
   */
  function lastIdle(): PluginThread | undefined {
    const all = live();
    for (let i = all.length - 1; i >= 0; i--) {
      const t = all[i]!;
      if (!t.busy && !t.dead && t.started) return t;
    }
    return undefined;
  }

  /** Give idle threads to waiting calls; start threads while the pool has room. */
  function pump(): void {
    while (waiting.length > 0) {
      const idle = lastIdle();
      if (idle) {
        idle.busy = true;
        waiting.shift()!.resolve(idle);
        continue;
      }
      if (live().length + starting >= size || starting >= waiting.length) return;
      start();
    }
  }

  function acquire(): Promise<PluginThread> {
    if (closed) return Promise.reject(new PluginError('plugin-error', `plugin ${name} is closed`));
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      pump();
    });
  }

  function release(t: PluginThread): void {
    t.busy = false;
    // Last in the list: the next call takes it first (see lastIdle).
    const at = threads.indexOf(t);
    if (at >= 0 && at !== threads.length - 1) {
      threads.splice(at, 1);
      threads.push(t);
    }
    pump();
  }

  async function request(req: CallRequest, host: CallHost): Promise<unknown> {
    const t = await acquire();
    try {
      return await t.call(req, host);
    } finally {
      release(t);
    }
  }

  // Start one worker now: a plugin that cannot start fails at load, not at its first call.
  const first = spawn();
  try {
    await first.ready;
  } catch (err) {
    void first.close();
    compiled.release();
    throw err;
  }
  threads.push(first);

  return {
    async metadata(host: CallHost): Promise<RawMetadata> {
      return (await request({ p: 'metadata', a: [] }, host)) as RawMetadata;
    },
    async call<P extends Phase>(phase: P, args: PhaseArgs[P], host: CallHost): Promise<PhaseResult[P]> {
      const ctx = host.ctx;
      const bytes = (args as string[]).reduce((n, a) => n + Buffer.byteLength(a), 0);
      if (bytes > policy.maxInputBytes) {
        throw new PluginError(
          'size-limit',
          `the ${phase} request to ${name}/${ctx.node ?? args[0]} is ${formatBytes(bytes)}, more than the input limit of ${formatBytes(policy.maxInputBytes)}; send less, or raise the host's maxInputBytes`,
          { context: { plugin: name, node: ctx.node ?? args[0], phase } },
        );
      }
      return (await request({ p: phase, a: args as string[], n: ctx.node ?? args[0] }, host)) as PhaseResult[P];
    },
    stats() {
      const up = live().filter((t) => t.started && !t.dead);
      return { instances: up.length, memoryBytes: up.reduce((n, t) => n + t.memoryBytes, 0) };
    },
    async close(): Promise<void> {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new PluginError('plugin-error', `plugin ${name} was closed`));
      await Promise.all(threads.splice(0).map((t) => t.close()));
      compiled.release();
    },
  };
};
