/**
 * The host side of one plugin worker thread (`plugin-worker.ts`): starts it, hands it calls over
 * the shared-memory channel, answers its host calls from the call's context, and stops it
 * (terminates the thread) when a call outlives its timeout.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { PluginError, type ErrorCode } from '../errors.js';
import type { CallContext, LogRecord, LogSink } from '../host-api.js';
import { workerEntry } from '../worker-entry.js';
import { Channel, createChannelBuffer, State, type CallRequest, type CallResponse, type HostCall, type Pending, type WireError, type WorkerLog } from './channel.js';
import { fetchForPlugin } from './http-gate.js';
import type { FromPluginWorker, PluginWorkerInit } from './plugin-worker.js';
import type { SandboxPolicy } from './policy.js';

/** How long the host spins for a quick answer before it yields to the event loop (µs). */
const HOST_SPIN_MICROS = 150;
/** How long an idle worker spins for the next call before it sleeps (µs). */
const WORKER_SPIN_MICROS = 100;

const ERROR_CODES = new Set<ErrorCode>(['plugin-error', 'invalid-input', 'not-found', 'permission-denied', 'trap', 'timeout', 'memory-limit', 'size-limit', 'incompatible', 'invalid-plugin']);

export interface ThreadInit {
  name: string;
  entry: string;
  modules: Record<string, WebAssembly.Module>;
  worldVersion: string;
  policy: SandboxPolicy;
  /** Whether the plugin imports WASI (then the worker builds it from the policy). */
  wasi: boolean;
  /** Where log lines go outside calls (metadata). */
  log: LogSink;
  /** Called once when the thread stops (killed, crashed or closed). */
  onDead?: () => void;
}

function fromWire(e: WireError, context: { plugin: string; node?: string; phase?: string }): PluginError {
  const code = ERROR_CODES.has(e.code as ErrorCode) ? (e.code as ErrorCode) : 'plugin-error';
  return new PluginError(code, e.message, { context, ...(e.details !== undefined ? { details: e.details } : {}) });
}

export class PluginThread {
  readonly #init: ThreadInit;
  readonly #worker: Worker;
  readonly #channel: Channel;
  readonly ready: Promise<void>;
  /** Owned by the pool: the thread is handed to one call at a time. */
  busy = false;
  dead = false;
  #inCall = false;
  /** True once the instance is up. */
  started = false;
  #deathError: PluginError | undefined;
  #startTimer: NodeJS.Timeout | undefined;

  constructor(init: ThreadInit) {
    this.#init = init;
    const sab = createChannelBuffer();
    const ports = new MessageChannel();
    ports.port1.unref();
    this.#channel = new Channel(sab, ports.port1);
    const p = init.policy;
    const data: PluginWorkerInit = {
      name: init.name,
      entry: init.entry,
      modules: init.modules,
      worldVersion: init.worldVersion,
      memoryBytes: p.memoryBytes,
      maxOutputBytes: p.maxOutputBytes,
      sab,
      port: ports.port2,
      spinMicros: WORKER_SPIN_MICROS,
    };
    if (init.wasi) data.wasi = { env: p.env, dirs: p.dirs.map((d) => ({ guest: d.guest, host: d.host, writable: d.writable })), args: [init.name] };
    const entry = workerEntry('sandbox/plugin-worker');
    // The worker's own JS heap is bounded too (the glue lifts strings out of wasm memory).
    const heapMb = Math.max(256, Math.ceil((4 * p.memoryBytes) / 1024 / 1024));
    this.#worker = new Worker(entry.path, {
      workerData: data,
      transferList: [ports.port2],
      execArgv: entry.execArgv,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    let started!: () => void;
    let failed!: (err: PluginError) => void;
    this.ready = new Promise<void>((res, rej) => {
      started = res;
      failed = rej;
    });
    this.ready.catch(() => {});
    this.#worker.on('message', (msg: FromPluginWorker) => {
      if (msg.kind === 'instantiating') {
        // Instantiation runs plugin code (start functions, constructors): it gets the call timeout.
        this.#startTimer = setTimeout(() => {
          const err = new PluginError('timeout', `${init.name} did not finish starting within its timeout of ${p.timeoutMs} ms (its instantiation hangs); it was stopped`);
          this.kill(err);
          failed(err);
        }, p.timeoutMs);
      } else if (msg.kind === 'ready') {
        clearTimeout(this.#startTimer);
        this.started = true;
        if (!this.#inCall) this.#worker.unref();
        started();
      } else if (msg.kind === 'failed') {
        clearTimeout(this.#startTimer);
        const err = fromWire(msg.error, { plugin: init.name });
        this.kill(err);
        failed(err);
      }
    });
    this.#worker.on('error', (err) => {
      const oom = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      const e = oom
        ? new PluginError('memory-limit', `${init.name} exhausted its worker's heap (${heapMb} MB); it was stopped`)
        : new PluginError('trap', `${init.name}'s worker failed: ${err.message}`);
      this.kill(e);
      failed(e);
    });
    this.#worker.on('exit', (code) => {
      const e = new PluginError('trap', `${init.name}'s worker stopped (exit code ${code})`);
      this.kill(e);
      failed(e);
    });
  }

  /** Stop the thread now; a call in flight fails with `err`. */
  kill(err: PluginError): void {
    if (this.dead) return;
    this.dead = true;
    queueMicrotask(() => this.#init.onDead?.());
    this.#deathError = err;
    clearTimeout(this.#startTimer);
    Atomics.store(this.#channel.state, 0, State.DEAD);
    Atomics.notify(this.#channel.state, 0);
    this.#channel.port.close();
    void this.#worker.terminate();
  }

  /** Run one export call; `ctx` answers the plugin's host calls. */
  async call(req: CallRequest, ctx: CallContext | undefined): Promise<unknown> {
    if (this.dead) throw this.#deathError ?? new PluginError('trap', `${this.#init.name}: the worker has stopped`);
    const context = { plugin: this.#init.name, ...(req.n ? { node: req.n } : {}), phase: req.p };
    const where = `${this.#init.name}${req.n ? `/${req.n}` : ''} (${req.p})`;
    const ms = this.#init.policy.timeoutMs;
    if (this.#inCall) throw new Error(`${where}: a plugin thread got two calls at once`);
    this.#inCall = true;
    this.#worker.ref();
    const timer = setTimeout(() => {
      this.kill(new PluginError('timeout', `${where} did not finish within its timeout of ${ms} ms; it was stopped`, { context }));
    }, ms);
    // The caller gave up (a workflow node's timeout, a cancelled run): stop the worker too.
    const onAbort = (): void => {
      const reason: unknown = ctx?.signal?.reason;
      this.kill(reason instanceof PluginError ? reason : new PluginError('plugin-error', `${where} was cancelled by the host; it was stopped`, { context }));
    };
    if (ctx?.signal?.aborted) onAbort();
    ctx?.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.dead) throw this.#deathError!;
      const wire: CallRequest = { ...req };
      if (ctx?.now) wire.c = 1;
      if (ctx?.cancelled) wire.x = 1;
      this.#channel.send(JSON.stringify(wire), State.REQUEST);
      let from: number = State.REQUEST;
      for (;;) {
        const s = await this.#channel.waitAsync(from, HOST_SPIN_MICROS);
        if (this.dead) throw this.#deathError!;
        if (s === State.RESPONSE) {
          const res = JSON.parse(this.#channel.receive()) as CallResponse;
          this.#applyPending(res, ctx);
          if (res.ok) return res.v;
          throw fromWire(res.e, context);
        }
        if (s === State.HOST_CALL) {
          const reply = await this.#answer(JSON.parse(this.#channel.receive()) as HostCall, ctx);
          if (this.dead) throw this.#deathError!;
          this.#channel.send(reply, State.HOST_REPLY);
          from = State.HOST_REPLY;
          continue;
        }
        from = s;
      }
    } finally {
      clearTimeout(timer);
      ctx?.signal?.removeEventListener('abort', onAbort);
      this.#inCall = false;
      if (!this.dead) this.#worker.unref();
    }
  }

  #deliver(logs: WorkerLog[], ctx: CallContext | undefined): void {
    const sink = ctx?.log ?? this.#init.log;
    for (const l of logs) {
      const record: LogRecord = { level: l.level, message: l.message, plugin: ctx?.plugin ?? this.#init.name };
      if (ctx?.node !== undefined) record.node = ctx.node;
      if (l.fields) record.fields = l.fields;
      sink(record);
    }
  }

  /** Store writes first (in order), then log records. */
  #applyPending(p: Pending, ctx: CallContext | undefined): void {
    if (p.sets && ctx) for (const [k, v] of p.sets) ctx.store.set(k, JSON.parse(v));
    if (p.logs) this.#deliver(p.logs, ctx);
  }

  async #answer(call: HostCall, ctx: CallContext | undefined): Promise<string> {
    this.#applyPending(call, ctx);
    switch (call.h) {
      case 'store-get': {
        const v = ctx?.store.get(call.k);
        return v === undefined ? '' : JSON.stringify(v);
      }
      case 'store-delete':
        return JSON.stringify(ctx?.store.delete(call.k) ?? false);
      case 'now':
        return JSON.stringify(Math.trunc((ctx?.now ?? Date.now)()));
      case 'cancelled':
        return JSON.stringify(ctx?.cancelled?.() ?? false);
      case 'flush':
        return '';
      case 'http':
        return JSON.stringify(await fetchForPlugin(call, this.#init.policy, this.#init.name));
    }
  }

  async close(): Promise<void> {
    this.kill(new PluginError('plugin-error', `plugin ${this.#init.name} was closed`));
  }
}
