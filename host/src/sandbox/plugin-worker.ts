/**
 * A plugin worker thread: one instance of one plugin, linked with the host API (answered by the
 * host thread over the call channel) and, when the plugin imports WASI, with WASI built for this
 * instance from the plugin's permissions. Calls arrive on the channel; the thread blocks on
 * `Atomics.wait` between them, so the host can stop a runaway call by terminating the thread.
 *
 * A call that traps, calls `exit`, or fails with its memory at the cap discards the instance;
 * the next call instantiates a fresh one.
 */
import type { KvReply } from '../storage/plugin-storage.js';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { actionNameProblem, capDetails, capMessage, LogBudget, storeDeleteBytes, storeWriteBytes, type CallLimits } from '../call-limits.js';
import { PluginError } from '../errors.js';
import type { HostCalls } from '../host-api.js';
import { toPluginError } from '../runner.js';
import { hostImportsFor, nodeExportsFor, type NodeExports } from '../world-versions/index.js';
import { Channel, State, type CallRequest, type CallResponse, type HostCall, type Pending, type WireError, type WorkerLog } from './channel.js';
import { formatBytes } from './format.js';
import { instantiateGlue, type GlueModule } from './instantiate.js';
import { StdioCapture } from './stdio-capture.js';
import type { MemoryPlan, MemoryShare } from './memory-cap.js';
import { createWasi, disposeWasi, WasiExit, type HttpResult, type WasiGrant } from './wasi/index.js';
import type { WorkerLifecycle } from './worker-host.js';

export interface PluginWorkerInit {
  name: string;
  /** Absolute path of the transpiled glue (`instantiation: 'sync'`). */
  entry: string;
  /** Compiled core modules (memories capped), by the names the glue asks for. */
  modules: Record<string, WebAssembly.Module>;
  /** The supported world version the instance is linked with (`TranspiledComponent.linkVersion`). */
  worldVersion: string;
  memoryBytes: number;
  /** How the cap was split across the modules' memories: each core instance is checked against it. */
  memoryPlan?: MemoryPlan | undefined;
  maxOutputBytes: number;
  /** The call caps (call-limits.ts): applied here too, so what the host would drop is never sent. */
  limits: CallLimits;
  /** WASI for this instance; absent when the plugin imports no WASI. */
  wasi?: WasiGrant;
  sab: SharedArrayBuffer;
  port: MessagePort;
  /** How long the worker spins for the next request before sleeping (µs). */
  spinMicros: number;
}


const init = workerData as PluginWorkerInit;
const channel = new Channel(init.sab, init.port);
const post = (msg: WorkerLifecycle): void => parentPort!.postMessage(msg);

/**
 * What the call in flight has for the host without needing an answer: its log records and store
 * writes. They go with the next host call or the response, or on their own once they are large.
 */
let logs: WorkerLog[] = [];
let sets: [string, string][] = [];
let pendingBytes = 0;
const FLUSH_BYTES = 64 * 1024;
/**
 * The call's caps, applied before anything is sent (the host applies the same rules again): log
 * records past the log caps are only counted (`dropped`), and once the call has written more
 * than its store cap its writes are no longer sent (`storeOver`; the call fails on the host).
 */
let logBudget = new LogBudget(init.limits);
let droppedUnsent = 0;
let storeWritten = 0;
let storeOver = false;
let storeOverUnsent = false;

/** Count a store write against the call's cap; false once it is passed (nothing more is sent). */
function chargeStore(bytes: number): boolean {
  if (storeOver) return false;
  storeWritten += bytes;
  if (storeWritten <= init.limits.maxStoreBytesPerCall) return true;
  storeOver = storeOverUnsent = true;
  sets = [];
  return false;
}

/** Per call: how much of the plugin's stdout/stderr is logged before the rest is dropped. */
const STDIO_LINES_PER_CALL = 200;
const STDIO_LINE_MAX = 2000;

function addPending(bytes: number): void {
  pendingBytes += bytes;
  // Outside a call nobody answers host calls: what is pending waits for the next response.
  if (pendingBytes >= FLUSH_BYTES && inCall) hostCall({ h: 'flush' });
}

function addLog(record: WorkerLog): void {
  if (!logBudget.admit(record.message, record.fields)) {
    droppedUnsent++;
    return;
  }
  logs.push(record);
  addPending(record.message.length + 64);
}

function addSet(key: string, json: string): void {
  if (!chargeStore(storeWriteBytes(key, json))) return;
  sets.push([key, json]);
  addPending(key.length + json.length);
}

/** Attach what is pending to a message for the host. */
function withPending<T extends Pending>(msg: T): T {
  if (sets.length > 0) msg.sets = sets;
  if (logs.length > 0) msg.logs = logs;
  if (storeOverUnsent) msg.storeOver = 1;
  if (droppedUnsent > 0) msg.dropped = droppedUnsent;
  storeOverUnsent = false;
  droppedUnsent = 0;
  sets = [];
  logs = [];
  pendingBytes = 0;
  return msg;
}

/** Ask the host thread something during a call; blocks until it answers. */
function hostCall(call: HostCall, raw = false): unknown {
  channel.send(JSON.stringify(withPending(call)), State.HOST_CALL);
  const s = channel.waitSync(State.HOST_CALL, 200);
  if (s !== State.HOST_REPLY) throw new Error('the host stopped this plugin');
  const text = channel.receive();
  if (raw) return text;
  return text === '' ? undefined : JSON.parse(text);
}

const stdioCaps = { linesPerCall: STDIO_LINES_PER_CALL, lineMax: STDIO_LINE_MAX };
const stdout = new StdioCapture('stdout', addLog, stdioCaps);
const stderr = new StdioCapture('stderr', addLog, stdioCaps);

function httpViaHost(req: { method: string; url: string; headers: [string, string][]; body?: Uint8Array }): HttpResult {
  const call: HostCall = { h: 'http', method: req.method, url: req.url, headers: req.headers };
  if (req.body && req.body.length > 0) call.body = Buffer.from(req.body).toString('base64');
  const r = hostCall(call) as { ok: true; status: number; headers: [string, string][]; body: string } | { ok: false; code: string; message: string };
  if (!r.ok) return r;
  return { ok: true, status: r.status, headers: r.headers, body: new Uint8Array(Buffer.from(r.body, 'base64')) };
}

// The host calls the plugin's imports make: each one is answered by the host thread (the
// call's CallHost there), or rides along with the next message when it needs no answer.
let inCall: CallRequest | undefined;
const proxy: HostCalls = {
  log(level, message, fields) {
    const r: WorkerLog = { level: level as WorkerLog['level'], message };
    if (fields !== undefined) r.fields = fields;
    addLog(r);
  },
  storeGet(key) {
    const text = hostCall({ h: 'store-get', k: key }, true) as string;
    return text === '' ? undefined : text;
  },
  storeSet(key, json) {
    addSet(key, json);
  },
  storeDelete(key) {
    if (!chargeStore(storeDeleteBytes(key))) return false;
    return hostCall({ h: 'store-delete', k: key }) === true;
  },
  // The host is asked only when the caller gave a clock or a way to cancel.
  now: () => (inCall?.c ? (hostCall({ h: 'now' }) as number) : Date.now()),
  cancelled: () => (inCall?.x ? hostCall({ h: 'cancelled' }) === true : false),
};

let glue: GlueModule;
let instance: NodeExports | undefined;
/** The instance's memories with their shares of the cap, recorded as each core instance is created. */
let memories: { memory: WebAssembly.Memory; share: MemoryShare | undefined }[] = [];
/** This instance's WASI (its open files are closed when the instance is discarded). */
let wasi: Record<string, unknown> | undefined;

function discard(): void {
  instance = undefined;
  memories = [];
  if (wasi) disposeWasi(wasi);
  wasi = undefined;
}

function instantiate(): NodeExports {
  const imports: Record<string, unknown> = hostImportsFor(init.worldVersion, () => (inCall ? proxy : undefined));
  if (init.wasi) {
    wasi = createWasi(init.wasi, {
      stdout: (b: Uint8Array) => stdout.write(b),
      stderr: (b: Uint8Array) => stderr.write(b),
      http: httpViaHost,
      kv: (call) => hostCall({ h: 'kv', kv: call }) as KvReply,
    });
    Object.assign(imports, wasi);
  }
  // Recorded as they come, not once instantiation returns: a plugin that runs out of memory while
  // starting (a constructor, a start function, top-level code) is then known to be at its cap.
  const found: typeof memories = [];
  memories = found;
  const exports = instantiateGlue(glue, init.modules, imports, init.name, { memoryPlan: init.memoryPlan, onMemory: (memory, share) => found.push({ memory, share }) });
  return nodeExportsFor(init.worldVersion, exports, init.name);
}

/**
 * True when the instance's memory is (nearly) at its cap, a failure then being the cap's doing: a
 * memory within 1/8 of its share of the cap (one that may grow at all), or all of them together
 * within 1/8 of the cap.
 */
function atMemoryCap(): boolean {
  const near = (size: number, max: number): boolean => size >= max * 0.875;
  return (
    memories.some(({ memory, share }) => (share ? share.maxBytes > share.minBytes && near(memory.buffer.byteLength, share.maxBytes) : near(memory.buffer.byteLength, init.memoryBytes))) ||
    near(memoryUsed(), init.memoryBytes)
  );
}

/** What the instance's memories hold together. */
function memoryUsed(): number {
  return memories.reduce((n, m) => n + m.memory.buffer.byteLength, 0);
}


function toWire(thrown: unknown, req: CallRequest | undefined): WireError {
  const where = `${init.name}${req?.n ? `/${req.n}` : ''}${req ? ` (${req.p})` : ''}`;
  if (thrown instanceof WasiExit) {
    return { code: 'plugin-error', message: `${where} called exit(${thrown.status}); a plugin must return, not exit`, reset: true };
  }
  // At the cap, or the guest's allocator said so (a large allocation can fail well below it).
  const text = thrown instanceof Error ? thrown.message : String((thrown as { payload?: { message?: string } })?.payload?.message ?? thrown);
  const cap = atMemoryCap() || /out of memory|memory allocation of \d+ bytes failed/i.test(text);
  if (thrown instanceof RangeError && /call stack/i.test(thrown.message)) {
    return { code: 'trap', message: `${where} trapped: stack overflow (too deep recursion)`, reset: true };
  }
  const err = toPluginError(thrown, { plugin: init.name, ...(req?.n ? { node: req.n } : {}), ...(req ? { phase: req.p } : {}) }, init.limits);
  if (cap) {
    return {
      code: 'memory-limit',
      message: `${where} ran out of memory: it reached its memory limit of ${formatBytes(init.memoryBytes)} (${err.message}); raise permissions.memory if it needs more`,
      reset: true,
    };
  }
  const wire: WireError = { code: err.code, message: err.message };
  if (err.details !== undefined) wire.details = err.details;
  if (err.code === 'trap') wire.reset = true;
  return wire;
}

function sizeError(req: CallRequest, bytes: number): WireError {
  return {
    code: 'size-limit',
    message: `${init.name}${req.n ? `/${req.n}` : ''} (${req.p}) returned ${formatBytes(bytes)}, more than the output limit of ${formatBytes(init.maxOutputBytes)}; return less, or raise the host's maxOutputBytes`,
  };
}

/** A wire error within the error caps (the host cuts it again; this keeps it off the channel). */
function capWire(e: WireError): WireError {
  const capped: WireError = { ...e, message: capMessage(e.message, init.limits.maxErrorMessageBytes) };
  if (e.details !== undefined) capped.details = capDetails(e.details, init.limits.maxErrorDetailsBytes);
  return capped;
}

function run(req: CallRequest): CallResponse {
  inCall = req;
  logBudget = new LogBudget(init.limits);
  storeWritten = 0;
  storeOver = false;
  try {
    instance ??= instantiate();
    const fn = (req.p === 'metadata' ? instance.metadata : instance[req.p as 'prep']) as ((...args: string[]) => unknown) | undefined;
    if (typeof fn !== 'function') throw new PluginError('incompatible', `${init.name} has no export ${req.p}`);
    const value = fn(...req.a);
    const size = req.p === 'post' ? Buffer.byteLength(String((value as { output?: string }).output ?? '')) : typeof value === 'string' ? Buffer.byteLength(value) : 0;
    if (size > init.maxOutputBytes) return { ok: false, e: sizeError(req, size) };
    if (req.p === 'post') {
      const problem = actionNameProblem(`${init.name}${req.n ? `/${req.n}` : ''} (${req.p})`, (value as { next?: unknown }).next, init.limits.maxActionChars);
      if (problem) return { ok: false, e: { code: 'size-limit', message: problem } };
    }
    return { ok: true, v: value };
  } catch (thrown) {
    const e = capWire(toWire(thrown, req));
    if (e.reset) discard();
    return { ok: false, e };
  } finally {
    inCall = undefined;
    stdout.endCall();
    stderr.endCall();
  }
}

function respond(res: CallResponse): void {
  withPending(res);
  let text: string;
  try {
    text = JSON.stringify(res, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  } catch (err) {
    text = JSON.stringify({ ok: false, e: { code: 'plugin-error', message: `${init.name}: its result cannot be sent to the host: ${(err as Error).message}` } });
  }
  channel.setMemoryBytes(memoryUsed());
  channel.send(text, State.RESPONSE);
}

async function main(): Promise<void> {
  try {
    glue = (await import(pathToFileURL(init.entry).href)) as GlueModule;
    post({ kind: 'instantiating' });
    instance = instantiate();
  } catch (thrown) {
    const atCap = atMemoryCap() || (thrown instanceof RangeError && /memory/i.test(thrown.message));
    // A refusal of the instantiation itself (memory-limit: core instances over the cap) says what it is.
    const error: WireError =
      thrown instanceof PluginError
        ? { code: thrown.code, message: thrown.message }
        : atCap
          ? {
              code: 'memory-limit',
              message: `${init.name} needs more memory to start than its limit of ${formatBytes(init.memoryBytes)} (its memory had grown to ${formatBytes(memoryUsed())}); raise permissions.memory`,
            }
          : thrown instanceof WasiExit
            ? { code: 'plugin-error', message: `${init.name} called exit(${thrown.status}) while starting` }
            : { code: 'trap', message: `${init.name} failed to start: ${(thrown as Error)?.message ?? String(thrown)}` };
    post({ kind: 'failed', error });
    return;
  }
  channel.setMemoryBytes(memoryUsed());
  post({ kind: 'ready' });
  let last: number = State.IDLE;
  for (;;) {
    const s = channel.waitSync(last, init.spinMicros);
    if (s === State.DEAD) return;
    if (s !== State.REQUEST) {
      last = s;
      continue;
    }
    const req = JSON.parse(channel.receive()) as CallRequest;
    respond(run(req));
    last = State.RESPONSE;
  }
}

void main();
