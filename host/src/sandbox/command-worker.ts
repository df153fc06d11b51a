/**
 * The worker side of the command runner (`command-runner.ts`): one long-lived instance of a WASI
 * command plugin (a Go program) per worker thread.
 *
 * The plugin never sees the preview2 shim or the process: its `wasi:*` imports are the sandbox's
 * per-instance WASI (`sandbox/wasi/`), granted nothing, with the worker's own stdio:
 * - stdin blocks in `blocking-read` on `Atomics.wait` until the main thread posts the next
 *   message on the private port (read synchronously with `receiveMessageOnPort`), framed here;
 * - stdout (≤ 4,096-byte chunks) is reassembled into frames here (`FrameReader`): a frame announced
 *   larger than the output limit is refused at its header (`size-limit`, the instance is
 *   discarded); each complete frame is parsed here and handed to the main thread as what it
 *   means: a result in the world's shape (`commandProtocol`), an error, a log record, a store
 *   write, a host call to answer (a `kv` storage operation with its fields checked here);
 * - stderr is split into log records here (`StdioCapture`: 200 lines per call, 2,000 characters
 *   per line), and its last 8 KB kept to explain a crash (a Go panic);
 * - the call's caps on logs and store writes (`call-limits.ts`) are applied here before anything
 *   is sent, as the plugin worker does: what the host would drop is never shipped;
 * - no environment, no preopens, no network, args `[name]`; `exit` ends `run` (a `WasiExit`), never
 *   the process.
 *
 * So the main thread never touches the plugin's byte stream: it gets whole messages, through the
 * ring of `command-channel.ts` (small ones) or posted (results, large ones), and does O(message)
 * work once per message.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { LogBudget, storeDeleteBytes, storeWriteBytes, type CallLimits } from '../call-limits.js';
import type { Phase, RawMetadata, RawPostResult } from '../runner.js';
import { U64_MAX } from '../storage/backend.js';
import type { KvCall } from '../storage/plugin-storage.js';
import { commandProtocol } from '../world-versions/index.js';
import { FrameReader, MemoryGauge, Outbox, StdinSignal } from './command-channel.js';
import { formatBytes } from './format.js';
import { PluginError } from '../errors.js';
import { instantiateGlue, type GlueModule } from './instantiate.js';
import { commandRun } from './run-command.js';
import type { MemoryPlan, MemoryShare } from './memory-cap.js';
import { StdioCapture } from './stdio-capture.js';
import { createWasi, WasiExit } from './wasi/index.js';
import { goRuntimeEnv } from './go-memory.js';
import type { WorkerLifecycle } from './worker-host.js';

export interface CommandWorkerInit {
  /** Absolute path of the transpiled glue (`instantiation: 'sync'`). */
  entry: string;
  /** Compiled core modules, by the names the glue asks for. */
  modules: Record<string, WebAssembly.Module>;
  /** The plugin's name: `argv[0]`. */
  name: string;
  /** The memory cap (bytes) and how it was split across the modules' memories: each core instance is checked against it. */
  memoryBytes?: number;
  memoryPlan?: MemoryPlan | undefined;
  /** The command world's version (its protocol). */
  worldVersion: string;
  /** The largest result (JSON) a call may return, and so the largest frame the plugin may write. */
  maxOutputBytes: number;
  /** The call's caps on logs and store writes, applied here before anything is sent (the host applies them again). */
  limits: Pick<CallLimits, 'maxLogRecords' | 'maxLogBytes' | 'maxStoreBytesPerCall'>;
  /** The stdin counter and the outbox ring (`command-channel.ts`). */
  sab: SharedArrayBuffer;
  /** Where stdin messages arrive. */
  port: MessagePort;
}

/**
 * What the main thread sends on the port: a call (its phase and arguments: the worker writes the
 * message, and shapes the result by the phase), or the reply to a host call (JSON text).
 */
export type ToCommandWorker = { call: 'metadata' } | { call: Phase; args: string[] } | { reply: string };

/** A message for the main thread (through the ring, or posted when large). */
export type CommandRecord =
  | { t: 'log'; level: string; message: string; fields?: unknown }
  | { t: 'store-set'; key: string; value: string }
  | { t: 'store-get'; key: string }
  | { t: 'store-delete'; key: string }
  | { t: 'now' }
  | { t: 'cancelled' }
  /** A `wasi:keyvalue` operation (its fields checked here), answered on the main thread by `answerKv`. */
  | { t: 'kv'; call: KvCall }
  /** Log records dropped here under the call's log caps (counted in the host's one warning). */
  | { t: 'dropped'; n: number }
  /** The call wrote more than its store cap: its further writes are not sent (the call fails). */
  | { t: 'store-over' };

/** What the main thread is posted (besides the lifecycle). */
export type FromCommandWorker =
  | WorkerLifecycle
  /** Read the ring. */
  | { kind: 'wake' }
  /** A record too large for the ring. */
  | { kind: 'record'; record: CommandRecord }
  /** The call's result, in the world's shape. */
  | { kind: 'result'; value: string | RawPostResult | RawMetadata }
  /** The call's error: the plugin's own (`code` as it gave it), or the host's (`size-limit`). */
  | { kind: 'error'; code: string; message: string; details?: unknown }
  /** The plugin broke the protocol: the instance must be discarded. */
  | { kind: 'fault'; code: 'size-limit' | 'plugin-error'; message: string }
  /** The program ended; `stderr` is the end of what it wrote (a Go panic). */
  | { kind: 'exit'; ok: boolean; message: string; stderr: string };

/** Room for the frame's envelope (`{"t":"result","value":…}`) around a result of the limit. */
const ENVELOPE_BYTES = 4096;
/**
 * How long the worker spins for the next stdin message before it sleeps (µs): the next phase of
 * a node usually comes within it, and then costs no wake-up.
 */
const STDIN_SPIN_MICROS = 50;
const STDERR_TAIL = 8192;

const init = workerData as CommandWorkerInit;
const stdinSignal = new StdinSignal(init.sab);
const protocol = commandProtocol(init.worldVersion);
const post = (msg: FromCommandWorker): void => parentPort!.postMessage(msg);
const outbox = new Outbox<FromCommandWorker>(init.sab, post);
const gauge = new MemoryGauge(init.sab);
const where = (): string => `${init.name}${phase ? ` (${phase})` : ''}`;

/** The phase of the call in flight (undefined between calls). */
let phase: 'metadata' | Phase | undefined;

// ---- stdin -------------------------------------------------------------------------------------

/** Stdin bytes not yet read by the plugin: a queue of frames, the first partly read. */
const pending: Uint8Array[] = [];

function frameOf(text: string): Uint8Array {
  const len = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(4 + len);
  out.writeUInt32LE(len, 0);
  out.write(text, 4, len, 'utf8');
  return out;
}

/** Wait (on `Atomics.wait`) until the main thread has posted the next message; queue its frame. */
function waitForStdin(): void {
  for (;;) {
    const seen = stdinSignal.load();
    const got = receiveMessageOnPort(init.port);
    if (got) {
      const msg = got.message as ToCommandWorker;
      if ('reply' in msg) {
        pending.push(frameOf(msg.reply));
      } else {
        phase = msg.call;
        pending.push(frameOf(msg.call === 'metadata' ? protocol.metadataCall() : protocol.call(msg.call, msg.args)));
      }
      return;
    }
    stdinSignal.wait(seen, STDIN_SPIN_MICROS);
  }
}

/** The plugin's stdin: blocks (on `Atomics.wait`) until the next request arrives. */
function readStdin(max: number): Uint8Array {
  if (pending.length === 0) waitForStdin();
  const first = pending[0]!;
  if (first.length <= max) {
    pending.shift();
    return first;
  }
  pending[0] = first.subarray(max);
  return first.slice(0, max);
}

// ---- stderr ------------------------------------------------------------------------------------

/** The last `STDERR_TAIL` bytes of stderr in the current call (a ring: each byte copied once). */
const tail = { bytes: new Uint8Array(STDERR_TAIL), end: 0, full: false };

function keepTail(bytes: Uint8Array): void {
  const src = bytes.length > STDERR_TAIL ? bytes.subarray(bytes.length - STDERR_TAIL) : bytes;
  const first = Math.min(src.length, STDERR_TAIL - tail.end);
  tail.bytes.set(src.subarray(0, first), tail.end);
  tail.bytes.set(src.subarray(first), 0);
  const end = tail.end + src.length;
  tail.full ||= end >= STDERR_TAIL;
  tail.end = end % STDERR_TAIL;
}

function tailText(): string {
  const { bytes, end, full } = tail;
  const ordered = full ? Buffer.concat([bytes.subarray(end), bytes.subarray(0, end)]) : Buffer.from(bytes.subarray(0, end));
  return ordered.toString('utf8');
}

const stderr = new StdioCapture('stderr', (r) => {
  if (r.message.trim() !== '') log(r.level, r.message, r.fields);
});

function onStderr(bytes: Uint8Array): void {
  keepTail(bytes);
  stderr.write(bytes);
}

// ---- stdout ------------------------------------------------------------------------------------

function send(record: CommandRecord): void {
  outbox.send(JSON.stringify(record), () => ({ kind: 'record', record }));
}

// The call's caps, as the plugin worker applies them (the host applies the same rules again).
let logBudget = new LogBudget(init.limits);
let dropped = 0;
let storeWritten = 0;
let storeOver = false;

function log(level: string, message: string, fields?: unknown): void {
  if (!logBudget.admit(message, fields ?? undefined)) {
    // Counted, and said now and then: a call stopped for its timeout still reports most of them.
    if (++dropped >= 1000) flushDropped();
    return;
  }
  send({ t: 'log', level, message, ...(fields !== undefined ? { fields } : {}) });
}

function flushDropped(): void {
  if (dropped > 0) send({ t: 'dropped', n: dropped });
  dropped = 0;
}

/** Count a store write against the call's cap; false once it is passed (and the host is told once). */
function chargeStore(bytes: number): boolean {
  if (storeOver) return false;
  storeWritten += bytes;
  if (storeWritten <= init.limits.maxStoreBytesPerCall) return true;
  storeOver = true;
  send({ t: 'store-over' });
  return false;
}

/** The call is over (its result or error goes next): stderr's unfinished line and the drop counts first. */
function endCall(): void {
  gauge.set(memories.reduce((n, m) => n + m.memory.buffer.byteLength, 0));
  stderr.endCall();
  flushDropped();
  logBudget = new LogBudget(init.limits);
  storeWritten = 0;
  storeOver = false;
  tail.end = 0;
  tail.full = false;
  phase = undefined;
}

/** Set once the plugin broke the protocol: its stdout is closed, nothing more of it is read. */
let stdoutBroken = false;

/** The plugin broke the protocol: tell the main thread (which discards the instance) and stop reading. */
function fault(code: 'size-limit' | 'plugin-error', message: string): never {
  stdoutBroken = true;
  stderr.endCall();
  outbox.post({ kind: 'fault', code, message });
  // Fails the plugin's write with a stream error and closes its stdout.
  throw new Error(message);
}

const frames = new FrameReader(
  init.maxOutputBytes + ENVELOPE_BYTES,
  (body) => onFrame(body),
  (announced) =>
    fault(
      'size-limit',
      `${where()} announced a message of ${formatBytes(announced)} on stdout, more than the output limit of ${formatBytes(init.maxOutputBytes)}; it was stopped before any of it was read (return less, or raise the host's maxOutputBytes)`,
    ),
);

const text = (v: unknown): string => JSON.stringify(v ?? null);

function onFrame(body: Uint8Array): void {
  let msg: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    msg = parsed as Record<string, unknown>;
  } catch {
    fault('plugin-error', `${where()} wrote a malformed message to stdout (did it print to os.Stdout?)`);
  }
  switch (msg.t) {
    case 'result':
      if (phase === undefined) return; // nobody asked: a hostile plugin's noise
      onResult(msg.value);
      return;
    case 'error': {
      if (phase === undefined) return;
      const error: FromCommandWorker = { kind: 'error', code: String(msg.code), message: String(msg.message ?? 'plugin error') };
      if (msg.details !== undefined && msg.details !== null) error.details = msg.details;
      endCall();
      outbox.post(error);
      return;
    }
    case 'log':
      log(String(msg.level), String(msg.message ?? ''), msg.fields);
      return;
    case 'store-set': {
      const key = String(msg.key);
      const value = text(msg.value);
      if (chargeStore(storeWriteBytes(key, value))) send({ t: 'store-set', key, value });
      return;
    }
    case 'store-get':
      send({ t: 'store-get', key: String(msg.key) });
      return;
    case 'store-delete': {
      const key = String(msg.key);
      if (chargeStore(storeDeleteBytes(key))) send({ t: 'store-delete', key });
      else pending.push(frameOf('{"t":"reply","value":false}')); // answered here: the call has failed
      return;
    }
    case 'now':
    case 'cancelled':
      send({ t: msg.t });
      return;
    case 'kv': {
      const call = kvCall(msg);
      if (call) {
        send({ t: 'kv', call });
      } else {
        // Answered here, as the storage answers a bad argument: the plugin is waiting for a reply.
        const val = `invalid-input: ${init.name} sent a malformed kv message (op ${String(JSON.stringify(msg.op)).slice(0, 40)})`;
        pending.push(frameOf(JSON.stringify({ t: 'reply', ok: false, e: { tag: 'other', val } })));
      }
      return;
    }
    default:
      fault('plugin-error', `${where()} sent an unknown message type ${JSON.stringify(msg.t)?.slice(0, 100)}`);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A `kv` message as the `KvCall` the storage check takes, or undefined when a field is missing or
 * of the wrong type: `answerKv` trusts its argument's shape (the sandbox's keyvalue glue builds
 * it from typed values), and a plugin's JSON is not typed. The delta must be a u64 in decimal, a
 * value base64; the cursor a whole number.
 */
function kvCall(msg: Record<string, unknown>): KvCall | undefined {
  const { op, b, k, v, c, d } = msg;
  if (typeof b !== 'string') return undefined;
  switch (op) {
    case 'open':
      return { op, b };
    case 'get':
    case 'delete':
    case 'exists':
      return typeof k === 'string' ? { op, b, k } : undefined;
    case 'set':
      return typeof k === 'string' && typeof v === 'string' && BASE64.test(v) ? { op, b, k, v } : undefined;
    case 'list':
      if (c === undefined || c === null) return { op, b };
      return typeof c === 'number' && Number.isSafeInteger(c) && c >= 0 ? { op, b, c } : undefined;
    case 'incr':
      return typeof k === 'string' && typeof d === 'string' && /^\d{1,20}$/.test(d) && BigInt(d) <= U64_MAX ? { op, b, k, d } : undefined;
    default:
      return undefined;
  }
}

/** The call's result in the world's shape, within the output limit. */
function onResult(value: unknown): void {
  const current = phase!;
  let result: string | RawPostResult | RawMetadata;
  let size = 0;
  try {
    if (current === 'metadata') {
      result = protocol.metadata(value);
    } else {
      result = protocol.result(current, value);
      size = Buffer.byteLength(typeof result === 'string' ? result : result.output);
    }
  } catch (err) {
    fault('plugin-error', `${where()} returned a result of the wrong shape: ${(err as Error).message}`);
  }
  endCall();
  if (size > init.maxOutputBytes) {
    outbox.post({
      kind: 'error',
      code: 'size-limit',
      message: `${init.name} (${current}) returned ${formatBytes(size)}, more than the output limit of ${formatBytes(init.maxOutputBytes)}; return less, or raise the host's maxOutputBytes`,
    });
    return;
  }
  outbox.post({ kind: 'result', value: result });
}

// ---- the instance ------------------------------------------------------------------------------

/** The sandbox's WASI, granted nothing: no directories, no network, no env but the Go runtime's memory budget; stdio as above. */
const imports = createWasi(
  // No env of the host's: only GOMEMLIMIT, the Go runtime's budget under the cap (go-memory.ts).
  { env: goRuntimeEnv(init.memoryPlan), dirs: [], args: [init.name] },
  {
    stdin: readStdin,
    stdout: (bytes) => {
      if (stdoutBroken) throw new Error(`${init.name}: stdout is closed`);
      frames.push(bytes);
    },
    stderr: onStderr,
    http: () => ({ ok: false, code: 'HTTP-request-denied', message: `${init.name} has no network permission (Go plugins get none)` }),
  },
);

function exited(ok: boolean, message: string): void {
  stderr.endCall();
  post({ kind: 'exit', ok, message, stderr: tailText() });
}

/** The instance's memories with their shares of the cap, recorded as each core instance is created. */
const memories: { memory: WebAssembly.Memory; share: MemoryShare | undefined }[] = [];

/** Whether a failure to start is the memory cap's doing: the engine could not allocate, or a memory is within 1/8 of its share. */
function startFailedOnMemory(err: unknown): boolean {
  if (err instanceof RangeError && /memory/i.test(err.message)) return true;
  return memories.some(({ memory, share }) => share !== undefined && share.maxBytes > share.minBytes && memory.buffer.byteLength >= share.maxBytes * 0.875);
}

async function main(): Promise<void> {
  let run: () => unknown;
  try {
    const glue = (await import(pathToFileURL(init.entry).href)) as GlueModule;
    post({ kind: 'instantiating' });
    const exports = instantiateGlue(glue, init.modules, imports, init.name, {
      memoryPlan: init.memoryPlan,
      onMemory: (memory, share) => memories.push({ memory, share }),
    });
    run = commandRun(exports);
  } catch (err) {
    // A refusal of the instantiation itself (memory-limit: core instances over the cap) says what it is.
    const used = memories.reduce((n, m) => n + m.memory.buffer.byteLength, 0);
    const error =
      err instanceof PluginError
        ? { code: err.code, message: err.message }
        : startFailedOnMemory(err)
          ? {
              code: 'memory-limit',
              message: `${init.name} needs more memory to start than its limit${init.memoryBytes ? ` of ${formatBytes(init.memoryBytes)}` : ''} (its memory had grown to ${formatBytes(used)}); raise permissions.memory`,
            }
          : { code: 'trap', message: `${init.name} failed to start: ${(err as Error)?.message ?? String(err)}` };
    post({ kind: 'failed', error });
    return;
  }
  post({ kind: 'ready' });
  try {
    run();
    exited(true, 'the plugin program returned');
  } catch (err) {
    if (err instanceof WasiExit) exited(err.status === 0, err.status === 0 ? 'the plugin exited' : 'the plugin exited with an error');
    else exited(false, (err as Error)?.message ?? String(err));
  }
}

void main();
