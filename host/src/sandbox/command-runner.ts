/**
 * The runner of command plugins (world `pocket:plugin/command`, e.g. Go): one long-lived
 * instance of the WASI command per worker thread (`command-worker.ts`), driven over its stdin and
 * stdout with length-prefixed JSON messages (4-byte little-endian length, then UTF-8 JSON) in the
 * protocol of `world-versions/command.ts`.
 *
 * A call posts the call message as stdin bytes and bumps a shared counter; the worker's stdin
 * wakes from `Atomics.wait`. While the call runs, the plugin's host calls arrive as frames on
 * stdout and are answered by the call's `CallHost` (a `reply` frame on stdin): the main thread
 * never blocks. The call ends with a `result` or `error` frame. If the program exits (a Go panic),
 * the call fails with `trap` quoting stderr and the next call starts a fresh worker. Start-up,
 * timeouts and stopping are `WorkerHost`'s.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { PluginError, type ErrorContext } from '../errors.js';
import type { CallHost } from '../host-api.js';
import { guestCode, type Phase, type PhaseResult, type RunnerFactory } from '../runner.js';
import { commandProtocol } from '../world-versions/index.js';
import type { CommandWorkerInit, FromCommandWorker } from './command-worker.js';
import type { SandboxPolicy } from './policy.js';
import { SANDBOX_WASI_INTERFACES } from './wasi/interfaces.js';
import { WorkerHost } from './worker-host.js';

const STDERR_TAIL = 8192;

interface InFlight {
  host: CallHost;
  resolve(value: unknown): void;
  reject(err: PluginError): void;
}

function frame(text: string): Uint8Array {
  const body = Buffer.from(text, 'utf8');
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, 4);
  return out;
}

/** One worker with one running instance. */
class CommandInstance extends WorkerHost {
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  readonly #policy: SandboxPolicy;
  #out: Buffer = Buffer.alloc(0);
  #stderrLine = '';
  #stderrTail = '';
  #call: InFlight | undefined;

  constructor(init: Omit<CommandWorkerInit, 'signal' | 'port'>, policy: SandboxPolicy, onDead: () => void) {
    const sab = new SharedArrayBuffer(4);
    const channel = new MessageChannel();
    const data: CommandWorkerInit = { ...init, signal: sab, port: channel.port2 };
    super({ name: init.name, module: 'sandbox/command-worker', workerData: data, transferList: [channel.port2], startTimeoutMs: policy.timeoutMs, onDead });
    this.#policy = policy;
    this.#signal = new Int32Array(sab);
    this.#port = channel.port1;
    this.#port.unref();
  }

  #where(): string {
    const host = this.#call?.host;
    return `${this.name}${host?.ctx.node ? `/${host.ctx.node}` : ''}${host ? ` (${host.phase})` : ''}`;
  }

  protected override onMessage(raw: unknown): void {
    const msg = raw as FromCommandWorker;
    if (msg.kind === 'stdout') this.#onStdout(msg.data);
    else if (msg.kind === 'stderr') this.#onStderr(msg.data);
    else if (msg.kind === 'exit') {
      const why = msg.ok ? 'the plugin program exited' : msg.message === 'the plugin exited with an error' ? 'the plugin exited with an error (a Go panic or os.Exit)' : msg.message;
      this.kill(new PluginError('trap', why));
    }
  }

  /** The program died: say where, quote its stderr; the Go runtime's "out of memory" is the cap. */
  protected override explain(err: PluginError): PluginError {
    if (err.code !== 'trap') return err;
    this.#flushStderr();
    const tail = this.#stderrTail.trim();
    const panic = tail ? `: ${tail.split('\n').slice(0, 12).join('\n')}` : '';
    if (/out of memory/.test(tail)) return new PluginError('memory-limit', `${this.#where()} ran out of memory (its memory limit is permissions.memory): ${err.message}${panic}`);
    if (!this.#call) return panic ? new PluginError('trap', `${err.message}${panic}`) : err;
    return new PluginError('trap', `${this.#where()} trapped: ${err.message}${panic}`);
  }

  protected onKill(err: PluginError): void {
    const call = this.#call;
    this.#call = undefined;
    this.#port.close();
    call?.reject(err);
  }

  #send(text: string): void {
    const bytes = frame(text);
    this.#port.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
    Atomics.add(this.#signal, 0, 1);
    Atomics.notify(this.#signal, 0);
  }

  request(message: string, host: CallHost): Promise<unknown> {
    const context: ErrorContext = { plugin: this.name, ...(host.ctx.node ? { node: host.ctx.node } : {}), phase: host.phase };
    return this.guard(host, context, this.#policy.timeoutMs, () => new Promise<unknown>((resolve, reject) => {
      this.#call = { host, resolve, reject };
      this.#send(message);
    }));
  }

  #onStdout(chunk: Uint8Array): void {
    this.#out = this.#out.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#out, chunk]);
    while (this.#out.length >= 4) {
      const len = this.#out.readUInt32LE(0);
      if (this.#out.length < 4 + len) break;
      const text = this.#out.toString('utf8', 4, 4 + len);
      this.#out = this.#out.subarray(4 + len);
      this.#onFrame(text);
    }
  }

  #onStderr(chunk: Uint8Array): void {
    const text = Buffer.from(chunk).toString('utf8');
    this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL);
    this.#stderrLine += text;
    const lines = this.#stderrLine.split('\n');
    this.#stderrLine = lines.pop() ?? '';
    for (const line of lines) this.#logStderr(line);
  }

  #flushStderr(): void {
    if (this.#stderrLine) this.#logStderr(this.#stderrLine);
    this.#stderrLine = '';
  }

  #logStderr(line: string): void {
    if (line.trim() !== '') this.#call?.host.log('warn', line, { stream: 'stderr' });
  }

  #onFrame(text: string): void {
    const call = this.#call;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      call?.reject(new PluginError('plugin-error', `${this.#where()} wrote a malformed message to stdout (did it print to os.Stdout?)`));
      return;
    }
    if (!call) return;
    const host = call.host;
    switch (msg.t) {
      case 'result':
        this.#call = undefined;
        this.#stderrTail = '';
        call.resolve(msg.value);
        return;
      case 'error': {
        this.#call = undefined;
        this.#stderrTail = '';
        const context = { plugin: this.name, ...(host.ctx.node ? { node: host.ctx.node } : {}), phase: host.phase };
        call.reject(new PluginError(guestCode(msg.code), String(msg.message ?? 'plugin error'), { context, ...(msg.details !== undefined && msg.details !== null ? { details: msg.details } : {}) }));
        return;
      }
      case 'log': {
        const fields = msg.fields;
        host.log(String(msg.level), String(msg.message ?? ''), fields && typeof fields === 'object' && !Array.isArray(fields) ? (fields as Record<string, unknown>) : undefined);
        return;
      }
      case 'store-set':
        host.storeSet(String(msg.key), JSON.stringify(msg.value ?? null));
        return;
      case 'store-get': {
        const value = host.storeGet(String(msg.key));
        this.#send(value === undefined ? '{"t":"reply","found":false}' : `{"t":"reply","found":true,"value":${value}}`);
        return;
      }
      case 'store-delete':
        this.#send(`{"t":"reply","value":${host.storeDelete(String(msg.key))}}`);
        return;
      case 'now':
        this.#send(`{"t":"reply","value":${host.now()}}`);
        return;
      case 'cancelled':
        this.#send(`{"t":"reply","value":${host.cancelled()}}`);
        return;
      default:
        call.reject(new PluginError('plugin-error', `${this.#where()} sent an unknown message type ${JSON.stringify(msg.t)}`));
    }
  }
}

/**
 * The WASI interfaces a command plugin may import (unversioned): what the preview1 command adapter
 * uses. The command worker links them from the sandbox's per-instance WASI, granted nothing.
 */
export const COMMAND_WASI_INTERFACES: readonly string[] = SANDBOX_WASI_INTERFACES.filter((name) => !name.startsWith('wasi:sockets/') && !name.startsWith('wasi:http/'));

/**
 * Run a command plugin: starts its worker now (so a plugin that cannot start fails at load) and
 * serves calls one at a time on it, replacing the worker after a trap or a timeout.
 */
export const commandRunner: RunnerFactory = async (transpiled, { name, policy, engine }) => {
  const compiled = await engine.compile(transpiled, { memoryBytes: policy.memoryBytes, name });
  const protocol = commandProtocol(transpiled.worldVersion);
  const init = { entry: transpiled.entry, modules: compiled.modules, name };
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

  function request(message: string, host: CallHost): Promise<unknown> {
    return serialized(async () => {
      if (closed) throw new PluginError('plugin-error', `plugin ${name} is closed`);
      return (await start()).request(message, host);
    });
  }

  try {
    await start();
  } catch (err) {
    compiled.release();
    throw err;
  }

  return {
    async metadata(host) {
      return protocol.metadata(await request(protocol.metadataCall(), host));
    },
    async call<P extends Phase>(phase: P, args: readonly string[], host: CallHost): Promise<PhaseResult[P]> {
      return protocol.result(phase, await request(protocol.call(phase, args), host)) as PhaseResult[P];
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
