/**
 * The host side of one plugin worker thread (`plugin-worker.ts`): hands it calls over the
 * shared-memory channel and routes its host calls (store, clock, `cancelled`, log, HTTP) to the
 * call's `CallHost`. Start-up, timeouts and stopping are `WorkerHost`'s.
 */
import { answerKv } from '../storage/plugin-storage.js';
import { MessageChannel } from 'node:worker_threads';
import type { PluginError } from '../errors.js';
import type { CallHost } from '../host-api.js';
import { Channel, createChannelBuffer, State, type CallRequest, type CallResponse, type HostCall, type Pending } from './channel.js';
import type { CompiledModules } from './engine.js';
import { fetchForPlugin } from './http-gate.js';
import type { PluginWorkerInit } from './plugin-worker.js';
import type { SandboxPolicy } from './policy.js';
import { fromWire } from './wire.js';
import { onlyCallInFlight, WorkerHost } from './worker-host.js';

/**
 * How the host thread waits for the worker's answer (`Channel.waitAsync`): a spin (µs) for a
 * quick one, then, when the call is the only one in flight, a sleep on the channel woken by the
 * answer (µs), then without blocking the event loop. Both bounded: the event loop waits 400 µs at
 * most per hand-over (at most 150 µs of spin, see HOST_SPIN_MAX_MICROS, and the sleep).
 */
const HOST_SPIN_MICROS = 20;
const HOST_SLEEP_MICROS = 250;
/**
 * The spin grows with the plugin's recent hand-overs (1.5 × their moving average, at most this):
 * waking the host thread from a sleep costs 100–250 µs on a small VM, more than a short call
 * itself, so a plugin whose answers come within ~150 µs is waited for spinning.
 */
const HOST_SPIN_MAX_MICROS = 150;
/** How long an idle worker spins for the next call before it sleeps (µs). */
const WORKER_SPIN_MICROS = 50;
/** Host calls answered in a row before the host thread lets the event loop turn (timers, I/O). */
const HOST_CALLS_PER_TURN = 64;

export interface ThreadInit {
  name: string;
  compiled: CompiledModules;
  policy: SandboxPolicy;
  /** Called once when the thread stops (killed, crashed or closed). */
  onDead?: () => void;
}

export class PluginThread extends WorkerHost {
  readonly #policy: SandboxPolicy;
  readonly #channel: Channel;
  /** Moving average of how long the worker took to hand the channel back (µs). */
  #handOverMicros = 0;

  constructor(init: ThreadInit) {
    const sab = createChannelBuffer();
    const ports = new MessageChannel();
    ports.port1.unref();
    const p = init.policy;
    const { transpiled, modules } = init.compiled;
    const data: PluginWorkerInit = {
      name: init.name,
      entry: transpiled.entry,
      modules,
      worldVersion: transpiled.linkVersion,
      memoryBytes: p.memoryBytes,
      memoryPlan: init.compiled.memoryPlan,
      maxOutputBytes: p.maxOutputBytes,
      limits: p.callLimits,
      sab,
      port: ports.port2,
      spinMicros: WORKER_SPIN_MICROS,
    };
    if (transpiled.imports.some((i) => i.startsWith('wasi:'))) {
      data.wasi = { env: p.env, dirs: p.dirs, args: [init.name] };
    }
    super({
      name: init.name,
      module: 'sandbox/plugin-worker',
      workerData: data,
      transferList: [ports.port2],
      // The worker's own JS heap is bounded too (the glue lifts strings out of wasm memory).
      heapMb: Math.max(256, Math.ceil((4 * p.memoryBytes) / 1024 / 1024)),
      startTimeoutMs: p.timeoutMs,
      ...(init.onDead ? { onDead: init.onDead } : {}),
    });
    this.#policy = p;
    this.#channel = new Channel(sab, ports.port1);
  }

  /** The linear memory its instance held after its last call. */
  get memoryBytes(): number {
    return this.#channel.memoryBytes();
  }

  protected onKill(_err: PluginError): void {
    // Wakes a call waiting on the channel; it then finds the thread dead.
    Atomics.store(this.#channel.state, 0, State.DEAD);
    Atomics.notify(this.#channel.state, 0);
    this.#channel.port.close();
  }

  /** Run one export call; `host` answers the plugin's host calls. */
  call(req: CallRequest, host: CallHost): Promise<unknown> {
    const context = { plugin: this.name, ...(req.n ? { node: req.n } : {}), phase: req.p };
    return this.guard(host, context, this.#policy.timeoutMs, async () => {
      const wire: CallRequest = { ...req };
      if (host.hasClock) wire.c = 1;
      if (host.canCancel) wire.x = 1;
      this.#channel.send(JSON.stringify(wire), State.REQUEST);
      let from: number = State.REQUEST;
      let hostCalls = 0;
      for (;;) {
        const alone = onlyCallInFlight();
        // Spin as long as this plugin's hand-overs usually take (when they are short), then sleep.
        const spin = alone && this.#handOverMicros <= HOST_SPIN_MAX_MICROS ? Math.min(HOST_SPIN_MAX_MICROS, Math.max(HOST_SPIN_MICROS, 1.5 * this.#handOverMicros)) : HOST_SPIN_MICROS;
        const t0 = performance.now();
        const s = await this.#channel.waitAsync(from, spin, alone ? HOST_SLEEP_MICROS : 0);
        this.#handOverMicros += ((performance.now() - t0) * 1000 - this.#handOverMicros) / 8;
        if (this.dead) throw this.deathError;
        if (s === State.RESPONSE) {
          const res = JSON.parse(this.#channel.receive()) as CallResponse;
          applyPending(res, host);
          if (res.ok) return res.v;
          throw fromWire(res.e, context);
        }
        if (s === State.HOST_CALL) {
          // A plugin making host calls one after another is answered without a turn of the event
          // loop while each comes within the wait: let the loop turn now and then (its timeout).
          if (++hostCalls % HOST_CALLS_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.dead) throw this.deathError;
          const reply = await this.#answer(JSON.parse(this.#channel.receive()) as HostCall, host);
          if (this.dead) throw this.deathError;
          this.#channel.send(reply, State.HOST_REPLY);
          from = State.HOST_REPLY;
          continue;
        }
        from = s;
      }
    });
  }

  async #answer(call: HostCall, host: CallHost): Promise<string> {
    applyPending(call, host);
    switch (call.h) {
      case 'store-get':
        return host.storeGet(call.k) ?? '';
      case 'store-delete':
        return JSON.stringify(host.storeDelete(call.k));
      case 'now':
        return JSON.stringify(host.now());
      case 'cancelled':
        return JSON.stringify(host.cancelled());
      case 'flush':
        return '';
      case 'http':
        return JSON.stringify(await fetchForPlugin(call, this.#policy, this.name));
      case 'kv':
        return JSON.stringify(await answerKv(this.name, this.#policy.storage, call.kv));
    }
  }
}

/**
 * What the worker sent along without waiting: store writes first (in order), then log records,
 * then what it dropped under the call's caps (the host applies the same caps again).
 */
function applyPending(p: Pending, host: CallHost): void {
  if (p.sets) for (const [k, v] of p.sets) host.storeSet(k, v);
  if (p.storeOver) host.storeOverflow();
  if (p.logs) for (const l of p.logs) host.log(l.level, l.message, l.fields);
  if (p.dropped) host.logsDropped(p.dropped);
}
