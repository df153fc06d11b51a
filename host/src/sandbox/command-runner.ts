/**
 * The runner of command plugins (world `pocket:plugin/command`, e.g. Go): one long-lived
 * instance of the WASI command per worker thread (`command-worker.ts`), driven over its stdin and
 * stdout with length-prefixed JSON messages (4-byte little-endian length, then UTF-8 JSON).
 *
 * A call posts `{"t":"call", phase, node, config, input, ...}` as stdin bytes and bumps a shared
 * counter; the worker's stdin wakes from `Atomics.wait`. While the call runs, the plugin's host
 * calls (`log`, `store-get`, `store-set`, `store-delete`, `now`, `cancelled`) arrive as frames on
 * stdout and are answered here, from the `CallContext` of the call in flight, by writing a
 * `{"t":"reply"}` frame to stdin: the main thread never blocks. The call ends with a `result` or
 * `error` frame. If the program exits (a Go panic), the call fails with `trap` quoting stderr and
 * the next call starts a fresh worker.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { CommandWorkerInit, FromCommandWorker } from './command-worker.js';
import { PluginError, type ErrorCode } from './errors.js';
import type { CallContext, LogLevel, LogRecord } from './host-api.js';
import type { Phase, PhaseArgs, PhaseResult, PluginRunner, RawMetadata } from './runner.js';
import type { TranspiledComponent } from './transpile.js';
import { workerEntry } from './worker-entry.js';
import { capModuleMemory } from './sandbox/memory-cap.js';
import type { SandboxPolicy } from './sandbox/policy.js';
import { SANDBOX_WASI_INTERFACES } from './sandbox/wasi/interfaces.js';

const GUEST_CODES = new Set<ErrorCode>(['plugin-error', 'invalid-input', 'not-found', 'permission-denied']);
const LEVELS = new Set<string>(['debug', 'info', 'warn', 'error']);
const STDERR_TAIL = 8192;

const modulesByDir = new Map<string, Promise<Record<string, WebAssembly.Module>>>();

/** Compile the core modules once per process; every worker gets the compiled modules. */
function compileModules(transpiled: TranspiledComponent, memoryBytes: number): Promise<Record<string, WebAssembly.Module>> {
  const key = `${transpiled.dir}|${memoryBytes}`;
  let entry = modulesByDir.get(key);
  if (!entry) {
    entry = (async () => {
      const out: Record<string, WebAssembly.Module> = {};
      try {
        for (const file of transpiled.coreFiles) {
          const capped = capModuleMemory(await readFile(join(transpiled.dir, file)), memoryBytes);
          if (capped.initialBytes > memoryBytes) {
            throw new PluginError(
              'memory-limit',
              `${transpiled.component.source} needs ${Math.ceil(capped.initialBytes / 1024 / 1024)} MB of memory at start, more than its memory limit of ${Math.round(memoryBytes / 1024 / 1024)} MB; raise permissions.memory`,
            );
          }
          out[file] = await WebAssembly.compile(capped.bytes);
        }
      } catch (cause) {
        if (cause instanceof PluginError) throw cause;
        throw new PluginError('invalid-plugin', `${transpiled.component.source}: a core module failed to compile: ${(cause as Error).message}`, { cause });
      }
      return out;
    })();
    modulesByDir.set(key, entry);
    entry.catch(() => modulesByDir.delete(key));
  }
  return entry;
}

interface InFlight {
  phase: Phase | 'metadata';
  ctx: CallContext | undefined;
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
class CommandInstance {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  readonly #name: string;
  readonly ready: Promise<void>;
  #out: Buffer = Buffer.alloc(0);
  #stderrLine = '';
  #stderrTail = '';
  #call: InFlight | undefined;
  #die: (message: string, instead?: PluginError) => void = () => {};
  readonly #timeoutMs: number;
  dead = false;

  constructor(init: Omit<CommandWorkerInit, 'signal' | 'port'>, timeoutMs: number, onDead: () => void) {
    this.#name = init.name;
    this.#timeoutMs = timeoutMs;
    const sab = new SharedArrayBuffer(4);
    this.#signal = new Int32Array(sab);
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.#port.unref();
    const entry = workerEntry('command-worker');
    const data: CommandWorkerInit = { ...init, signal: sab, port: channel.port2 };
    this.#worker = new Worker(entry.path, { workerData: data, transferList: [channel.port2], execArgv: entry.execArgv, stdout: true, stderr: true });
    // The worker's own stdout/stderr are captured, never shown (the plugin's stdio are the
    // streams of command-worker.ts); they are not read, since reading them refs the worker's port.
    // Referenced while starting and during calls only: an idle plugin never keeps the process alive.
    let started!: () => void;
    let failed!: (err: PluginError) => void;
    this.ready = new Promise<void>((res, rej) => {
      started = res;
      failed = rej;
    });
    this.ready.catch(() => {});
    const die = (message: string, instead?: PluginError): void => {
      if (this.dead) return;
      this.dead = true;
      onDead();
      this.#flushStderr();
      const tail = this.#stderrTail.trim();
      const panic = tail ? `: ${tail.split('\n').slice(0, 12).join('\n')}` : '';
      // The Go runtime reports its memory cap being hit as a fatal "out of memory".
      const oom = /out of memory/.test(tail) ? new PluginError('memory-limit', `${this.#where()} ran out of memory (its memory limit is permissions.memory): ${message}${panic}`) : undefined;
      const err = instead ?? oom ?? new PluginError('trap', `${this.#where()} trapped: ${message}${panic}`);
      failed(instead ?? new PluginError('trap', `${this.#name} failed to start: ${message}${panic}`));
      const call = this.#call;
      this.#call = undefined;
      call?.reject(err);
      this.#port.close();
      void this.#worker.terminate();
    };
    this.#worker.on('message', (msg: FromCommandWorker) => {
      switch (msg.kind) {
        case 'ready':
          if (!this.#call) this.#worker.unref();
          started();
          break;
        case 'stdout':
          this.#onStdout(msg.data);
          break;
        case 'stderr':
          this.#onStderr(msg.data);
          break;
        case 'exit':
          die(msg.ok ? 'the plugin program exited' : msg.message === 'the plugin exited with an error' ? 'the plugin exited with an error (a Go panic or os.Exit)' : msg.message);
          break;
      }
    });
    this.#die = die;
    this.#worker.on('error', (err) => die(`worker error: ${err.message}`));
    this.#worker.on('exit', (code) => die(`worker stopped (exit code ${code})`));
  }

  #where(): string {
    const c = this.#call;
    const node = c?.ctx?.node;
    return `${this.#name}${node ? `/${node}` : ''}${c ? ` (${c.phase})` : ''}`;
  }

  #send(text: string): void {
    const bytes = frame(text);
    this.#port.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
    Atomics.add(this.#signal, 0, 1);
    Atomics.notify(this.#signal, 0);
  }

  request(phase: Phase | 'metadata', message: string, ctx: CallContext | undefined): Promise<unknown> {
    if (this.dead) return Promise.reject(new PluginError('trap', `${this.#name}: the plugin instance has stopped`));
    let timer: NodeJS.Timeout | undefined;
    return new Promise<unknown>((resolve, reject) => {
      this.#call = { phase, ctx, resolve, reject };
      this.#worker.ref();
      // A call past its timeout costs the worker: the next call starts a fresh instance.
      timer = setTimeout(() => {
        const ms = this.#timeoutMs;
        this.#die('timeout', new PluginError('timeout', `${this.#where()} did not finish within its timeout of ${ms} ms; it was stopped`, { context: { plugin: this.#name, ...(ctx?.node ? { node: ctx.node } : {}), phase } }));
      }, this.#timeoutMs);
      this.#send(message);
    }).finally(() => {
      clearTimeout(timer);
      if (!this.dead) this.#worker.unref();
    });
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
    const ctx = this.#call?.ctx;
    if (!ctx || line.trim() === '') return;
    const record: LogRecord = { level: 'warn', message: line, plugin: ctx.plugin, fields: { stream: 'stderr' } };
    if (ctx.node !== undefined) record.node = ctx.node;
    ctx.log(record);
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
    const ctx = call?.ctx;
    switch (msg.t) {
      case 'result':
        this.#call = undefined;
        this.#stderrTail = '';
        call?.resolve(msg.value);
        return;
      case 'error': {
        this.#call = undefined;
        this.#stderrTail = '';
        const code = GUEST_CODES.has(msg.code as ErrorCode) ? (msg.code as ErrorCode) : 'plugin-error';
        const context = { plugin: this.#name, ...(ctx?.node ? { node: ctx.node } : {}), ...(call ? { phase: call.phase } : {}) };
        call?.reject(new PluginError(code, String(msg.message ?? 'plugin error'), { context, ...(msg.details !== undefined && msg.details !== null ? { details: msg.details } : {}) }));
        return;
      }
      case 'log': {
        if (!ctx) return;
        const record: LogRecord = { level: LEVELS.has(String(msg.level)) ? (msg.level as LogLevel) : 'info', message: String(msg.message ?? ''), plugin: ctx.plugin };
        if (ctx.node !== undefined) record.node = ctx.node;
        const fields = msg.fields;
        if (fields && typeof fields === 'object' && !Array.isArray(fields) && Object.keys(fields).length > 0) record.fields = fields as Record<string, unknown>;
        ctx.log(record);
        return;
      }
      case 'store-set':
        if (ctx && call?.phase !== 'exec') ctx.store.set(String(msg.key), msg.value ?? null);
        return;
      case 'store-get': {
        const value = ctx?.store.get(String(msg.key));
        this.#reply(value === undefined ? { found: false } : { found: true, value });
        return;
      }
      case 'store-delete':
        this.#reply({ value: ctx && call?.phase !== 'exec' ? ctx.store.delete(String(msg.key)) : false });
        return;
      case 'now':
        this.#reply({ value: Math.trunc((ctx?.now ?? Date.now)()) });
        return;
      case 'cancelled':
        this.#reply({ value: ctx?.cancelled?.() ?? false });
        return;
      default:
        call?.reject(new PluginError('plugin-error', `${this.#where()} sent an unknown message type ${JSON.stringify(msg.t)}`));
    }
  }

  #reply(body: Record<string, unknown>): void {
    let text: string;
    try {
      text = JSON.stringify({ t: 'reply', ...body });
    } catch {
      text = JSON.stringify({ t: 'reply', found: false });
    }
    this.#send(text);
  }

  async close(): Promise<void> {
    this.dead = true;
    this.#call?.reject(new PluginError('plugin-error', `plugin ${this.#name} was closed during a call`));
    this.#call = undefined;
    this.#port.close();
    await this.#worker.terminate();
  }
}

/** The JSON metadata a command plugin returns, in the manifest's shape. */
interface CommandMetadata {
  name?: string;
  version?: string;
  description?: string;
  author?: string;
  license?: string;
  nodes?: {
    type?: string;
    category?: string;
    description?: string;
    configSchema?: unknown;
    inputSchema?: unknown;
    outputSchema?: unknown;
    examples?: { name?: string; description?: string; config?: unknown; input?: unknown; output?: unknown }[];
  }[];
  permissions?: { memory?: string; timeout?: string; env?: string[]; filesystem?: string[]; network?: string[] };
}

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : JSON.stringify(v));

function toRawMetadata(m: CommandMetadata): RawMetadata {
  const p = m.permissions ?? {};
  return {
    name: m.name ?? '',
    version: m.version ?? '0.0.0',
    description: m.description ?? '',
    author: m.author,
    license: m.license,
    nodes: (m.nodes ?? []).map((n) => ({
      nodeType: n.type ?? '',
      category: n.category ?? '',
      description: n.description ?? '',
      configSchema: text(n.configSchema),
      inputSchema: text(n.inputSchema),
      outputSchema: text(n.outputSchema),
      examples: (n.examples ?? []).map((e) => ({
        name: e.name ?? '',
        description: e.description ?? '',
        config: text(e.config),
        input: JSON.stringify(e.input ?? null),
        output: text(e.output),
      })),
    })),
    permissions: { memory: p.memory, timeout: p.timeout, env: p.env ?? [], filesystem: p.filesystem ?? [], network: p.network ?? [] },
  };
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
export async function commandRunner(transpiled: TranspiledComponent, info: { name: string; policy: SandboxPolicy }): Promise<PluginRunner> {
  const modules = await compileModules(transpiled, info.policy.memoryBytes);
  const init = { entry: transpiled.entry, modules, name: info.name };
  let instance: CommandInstance | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const start = async (): Promise<CommandInstance> => {
    if (instance && !instance.dead) return instance;
    const created = new CommandInstance(init, info.policy.timeoutMs, () => {
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

  async function request(phase: Phase | 'metadata', message: string, ctx: CallContext | undefined): Promise<unknown> {
    return serialized(async () => {
      if (closed) throw new PluginError('plugin-error', `plugin ${info.name} is closed`);
      const inst = await start();
      return inst.request(phase, message, ctx);
    });
  }

  await start();

  return {
    async metadata() {
      const value = await request('metadata', '{"t":"call","phase":"metadata"}', undefined);
      return toRawMetadata((value ?? {}) as CommandMetadata);
    },
    async call<P extends Phase>(phase: P, args: PhaseArgs[P], ctx: CallContext): Promise<PhaseResult[P]> {
      const [node, config, ...rest] = args as string[];
      let message = `{"t":"call","phase":"${phase}","node":${JSON.stringify(node)},"config":${config}`;
      if (phase === 'prep') message += `,"input":${rest[0]}`;
      else if (phase === 'exec') message += `,"prep":${rest[0]}`;
      else message += `,"input":${rest[0]},"prep":${rest[1]},"exec":${rest[2]}`;
      message += '}';
      const value = await request(phase, message, ctx);
      if (phase === 'post') {
        const r = (value ?? {}) as { output?: unknown; next?: unknown };
        return { output: JSON.stringify(r.output ?? null), next: typeof r.next === 'string' ? r.next : '' } as PhaseResult[P];
      }
      return JSON.stringify(value ?? null) as PhaseResult[P];
    },
    async close() {
      closed = true;
      const current = instance;
      instance = undefined;
      await current?.close();
    },
  };
}
