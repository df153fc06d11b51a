/**
 * The runner of command plugins (world `pocket:plugin/command`, e.g. Go): one long-lived
 * instance of the WASI command per worker thread (`command-worker.ts`), driven over its stdin and
 * stdout with length-prefixed JSON messages (4-byte little-endian length, then UTF-8 JSON) in the
 * protocol of `world-versions/command.ts`.
 *
 * A call posts its phase and arguments to the worker (which writes the call message as stdin
 * bytes) and bumps a shared counter; the worker's stdin wakes from `Atomics.wait`. The worker reassembles and parses what
 * the plugin writes (stdout frames, stderr lines) and hands this thread whole messages
 * (`command-channel.ts`): host calls, answered by the call's `CallHost` (a `reply` on stdin), log
 * records, storage operations (`{"t":"kv"}`, answered by `answerKv` with the policy's storage grant,
 * as for every language), and finally the call's result or error. So this thread never blocks and never touches
 * the plugin's byte stream: it does O(message) work once per message, a bounded batch per turn of
 * the event loop. If the program exits (a Go panic), the call fails with `trap` quoting stderr
 * and the next call starts a fresh worker. Start-up, timeouts and stopping are `WorkerHost`'s.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { PluginError, type ErrorContext } from '../errors.js';
import { answerKv, type KvCall, type KvReply } from '../storage/plugin-storage.js';
import type { CallHost } from '../host-api.js';
import { guestCode, type Phase, type PhaseArgs, type PhaseResult, type RawMetadata, type RunnerFactory } from '../runner.js';
import { createCommandBuffer, Inbox, MemoryGauge, StdinSignal } from './command-channel.js';
import type { CommandRecord, CommandWorkerInit, FromCommandWorker, ToCommandWorker } from './command-worker.js';
import { formatBytes } from './format.js';
import type { SandboxPolicy } from './policy.js';
import { SANDBOX_WASI_INTERFACES } from './wasi/interfaces.js';
import { WorkerHost } from './worker-host.js';

/** Ring messages handled per turn of the event loop; the rest wait for the next turn. */
const RECORDS_PER_TURN = 256;

interface InFlight {
  host: CallHost;
  resolve(value: unknown): void;
  reject(err: PluginError): void;
}

/** One worker with one running instance. */
class CommandInstance extends WorkerHost {
  readonly #port: MessagePort;
  readonly #stdin: StdinSignal;
  readonly #inbox: Inbox;
  readonly #policy: SandboxPolicy;
  readonly #gauge: MemoryGauge;
  /** The end of the program's stderr, when it exited (a Go panic). */
  #stderrTail = '';
  #call: InFlight | undefined;
  #readScheduled = false;

  constructor(init: Omit<CommandWorkerInit, 'sab' | 'port'>, policy: SandboxPolicy, onDead: () => void) {
    const sab = createCommandBuffer();
    const channel = new MessageChannel();
    const data: CommandWorkerInit = { ...init, sab, port: channel.port2 };
    super({ name: init.name, module: 'sandbox/command-worker', workerData: data, transferList: [channel.port2], startTimeoutMs: policy.timeoutMs, onDead });
    this.#policy = policy;
    this.#gauge = new MemoryGauge(sab);
    this.#stdin = new StdinSignal(sab);
    this.#inbox = new Inbox(sab);
    this.#port = channel.port1;
    this.#port.unref();
  }

  /** The linear memory the instance held after its last message. */
  get memoryBytes(): number {
    return this.#gauge.bytes;
  }

  #where(): string {
    const host = this.#call?.host;
    return `${this.name}${host?.ctx.node ? `/${host.ctx.node}` : ''}${host ? ` (${host.phase})` : ''}`;
  }

  #context(host: CallHost): ErrorContext {
    return { plugin: this.name, ...(host.ctx.node ? { node: host.ctx.node } : {}), phase: host.phase };
  }

  protected override onMessage(raw: unknown): void {
    const msg = raw as FromCommandWorker;
    switch (msg.kind) {
      case 'wake':
        this.#read();
        return;
      case 'exit': {
        this.#readAll();
        this.#stderrTail = msg.stderr;
        const why = msg.ok ? 'the plugin program exited' : msg.message === 'the plugin exited with an error' ? 'the plugin exited with an error (a Go panic or os.Exit)' : msg.message;
        this.kill(new PluginError('trap', why));
        return;
      }
      case 'record':
      case 'result':
      case 'error':
      case 'fault':
        // Posted messages: what the ring holds before this one goes first.
        this.#readAll();
        this.#inbox.posted();
        this.#onPosted(msg);
        if (!this.dead) this.#read();
    }
  }

  /** Handle one turn's batch of ring messages; schedule the rest for the next turn. */
  #read(): void {
    if (this.dead) return;
    if (this.#inbox.read((text) => this.#onRecord(JSON.parse(text) as CommandRecord), RECORDS_PER_TURN) && !this.#readScheduled) {
      this.#readScheduled = true;
      setImmediate(() => {
        this.#readScheduled = false;
        this.#read();
      });
    }
  }

  /** Everything the ring holds up to the next posted message (that message is due now). */
  #readAll(): void {
    this.#inbox.read((text) => this.#onRecord(JSON.parse(text) as CommandRecord));
  }

  #onPosted(msg: Extract<FromCommandWorker, { kind: 'record' | 'result' | 'error' | 'fault' }>): void {
    if (msg.kind === 'record') {
      this.#onRecord(msg.record);
      return;
    }
    if (msg.kind === 'fault') {
      this.kill(new PluginError(msg.code, msg.message, this.#call ? { context: this.#context(this.#call.host) } : {}));
      return;
    }
    const call = this.#call;
    if (!call) return;
    this.#call = undefined;
    if (msg.kind === 'result') {
      call.resolve(msg.value);
      return;
    }
    const code = msg.code === 'size-limit' ? 'size-limit' : guestCode(msg.code);
    call.reject(new PluginError(code, msg.message, { context: this.#context(call.host), ...(msg.details !== undefined ? { details: msg.details } : {}) }));
  }

  /** The program died: say where, quote its stderr; the Go runtime's "out of memory" is the cap. */
  protected override explain(err: PluginError): PluginError {
    if (err.code !== 'trap') return err;
    const tail = this.#stderrTail.trim();
    const panic = tail ? `: ${tail.split('\n').slice(0, 12).join('\n')}` : '';
    if (/out of memory/.test(tail)) return new PluginError('memory-limit', `${this.#where()} ran out of memory (its memory limit is permissions.memory): ${err.message}${panic}`);
    if (!this.#call) return panic ? new PluginError('trap', `${err.message}${panic}`) : err;
    return new PluginError('trap', `${this.#where()} trapped: ${err.message}${panic}`);
  }

  protected onKill(err: PluginError): void {
    // What the plugin logged before it was stopped (a timeout, a fault) is still in the ring.
    if (this.#call) this.#readAll();
    const call = this.#call;
    this.#call = undefined;
    this.#port.close();
    call?.reject(err);
  }

  #post(msg: ToCommandWorker): void {
    this.#port.postMessage(msg);
    this.#stdin.bump();
  }

  #send(reply: string): void {
    this.#post({ reply });
  }

  /** One call: its phase and arguments go to the worker, which writes the message to stdin. */
  request(call: Extract<ToCommandWorker, { call: unknown }>, host: CallHost): Promise<unknown> {
    return this.guard(host, this.#context(host), this.#policy.timeoutMs, () => new Promise<unknown>((resolve, reject) => {
      this.#call = { host, resolve, reject };
      this.#post(call);
    }));
  }

  #onRecord(msg: CommandRecord): void {
    const call = this.#call;
    if (!call) return;
    const host = call.host;
    switch (msg.t) {
      case 'log': {
        const fields = msg.fields;
        host.log(msg.level, msg.message, fields && typeof fields === 'object' && !Array.isArray(fields) ? (fields as Record<string, unknown>) : undefined);
        return;
      }
      case 'store-set':
        host.storeSet(msg.key, msg.value);
        return;
      case 'store-get': {
        const value = host.storeGet(msg.key);
        this.#send(value === undefined ? '{"t":"reply","found":false}' : `{"t":"reply","found":true,"value":${value}}`);
        return;
      }
      case 'store-delete':
        this.#send(`{"t":"reply","value":${host.storeDelete(msg.key)}}`);
        return;
      case 'now':
        this.#send(`{"t":"reply","value":${host.now()}}`);
        return;
      case 'cancelled':
        this.#send(`{"t":"reply","value":${host.cancelled()}}`);
        return;
      case 'dropped':
        host.logsDropped(msg.n);
        return;
      case 'store-over':
        host.storeOverflow();
        return;
      case 'kv':
        this.#answerKv(msg.call, call);
        return;
    }
  }

  /**
   * A storage operation, checked and run by `answerKv` as every language's are (async: the
   * backend may wait on another process's write). The plugin waits for the reply; it is sent only
   * if the same call is still in flight: after a timeout the worker is gone, and a reply must
   * never reach a later call's stdin.
   */
  #answerKv(kv: KvCall, call: InFlight): void {
    void answerKv(this.name, this.#policy.storage, kv)
      .catch((err: unknown): KvReply => ({ ok: false, e: { tag: 'other', val: `plugin-error: ${this.name}: storage failed: ${(err as Error)?.message ?? String(err)}` } }))
      .then((reply) => {
        if (!this.dead && this.#call === call) this.#send(JSON.stringify({ t: 'reply', ...reply }));
      });
  }
}

/**
 * The UTF-8 size of a call's arguments when it is over `max`, else undefined. Counted only when
 * their length cannot tell (a UTF-16 unit is 1 to 3 UTF-8 bytes): a usual request costs no scan.
 */
function inputBytesOver(args: readonly string[], max: number): number | undefined {
  const units = args.reduce((n, a) => n + a.length, 0);
  if (units * 3 <= max) return undefined;
  const bytes = args.reduce((n, a) => n + Buffer.byteLength(a), 0);
  return bytes > max ? bytes : undefined;
}

/**
 * The WASI interfaces a command plugin may import (unversioned): what the preview1 command adapter
 * uses. The command worker links them from the sandbox's per-instance WASI, granted nothing.
 */
export const COMMAND_WASI_INTERFACES: readonly string[] = SANDBOX_WASI_INTERFACES.filter(
  (name) => !name.startsWith('wasi:sockets/') && !name.startsWith('wasi:http/') && !name.startsWith('wasi:keyvalue/'),
);

/**
 * Run a command plugin: starts its worker now (so a plugin that cannot start fails at load) and
 * serves calls one at a time on it, replacing the worker after a trap or a timeout.
 */
export const commandRunner: RunnerFactory = async (transpiled, { name, policy, engine }) => {
  const compiled = await engine.compile(transpiled, { memoryBytes: policy.memoryBytes, name });
  const init = { entry: transpiled.entry, modules: compiled.modules, name, worldVersion: transpiled.linkVersion, maxOutputBytes: policy.maxOutputBytes, limits: policy.callLimits, memoryBytes: policy.memoryBytes, memoryPlan: compiled.memoryPlan };
  let instance: CommandInstance | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const start = async (): Promise<CommandInstance> => {
    if (instance && !instance.dead) return instance;
    const created = new CommandInstance(init, policy, () => {
      if (instance === created) instance = undefined;
    });
    instance = created;
    await created.ready;
    return created;
  };

  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  }

  function request(call: Extract<ToCommandWorker, { call: unknown }>, host: CallHost): Promise<unknown> {
    return serialized(async () => {
      if (closed) throw new PluginError('plugin-error', `plugin ${name} is closed`);
      return (await start()).request(call, host);
    });
  }

  try {
    await start();
  } catch (err) {
    compiled.release();
    throw err;
  }

  return {
    // The worker writes the messages and answers in the world's shape (`commandProtocol`).
    async metadata(host) {
      return (await request({ call: 'metadata' }, host)) as RawMetadata;
    },
    async call<P extends Phase>(phase: P, args: PhaseArgs[P], host: CallHost): Promise<PhaseResult[P]> {
      const bytes = inputBytesOver(args, policy.maxInputBytes);
      if (bytes !== undefined) {
        const node = host.ctx.node ?? args[0];
        throw new PluginError(
          'size-limit',
          `the ${phase} request to ${name}/${node} is ${formatBytes(bytes)}, more than the input limit of ${formatBytes(policy.maxInputBytes)}; send less, or raise the host's maxInputBytes`,
          { context: { plugin: name, node, phase } },
        );
      }
      return (await request({ call: phase, args: [...args] }, host)) as PhaseResult[P];
    },
    stats() {
      const up = instance && !instance.dead ? instance : undefined;
      return { instances: up ? 1 : 0, memoryBytes: up?.memoryBytes ?? 0 };
    },
    async close() {
      closed = true;
      const current = instance;
      instance = undefined;
      await current?.close();
      compiled.release();
    },
  };
};
