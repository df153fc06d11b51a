/**
 * The call channel between the host thread and a plugin worker: one SharedArrayBuffer with a
 * state word and a data area, handed back and forth with `Atomics.wait`/`notify` (no
 * `postMessage` on the fast path). Each side waits on the value it wrote last and writes the
 * next state when it hands the channel over:
 *
 *   host:   REQUEST ──▶ worker runs the call ──▶ RESPONSE ──▶ host
 *   worker: HOST_CALL (store, clock, log, http) ──▶ host answers ──▶ HOST_REPLY ──▶ worker
 *
 * Payloads are UTF-8 JSON. One that does not fit the data area travels on a MessagePort that the
 * receiver reads synchronously (`receiveMessageOnPort`), and the length word says so (-1).
 */
import type { KvCall } from '../storage/plugin-storage.js';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { spinWhile } from './spin.js';

export const State = {
  IDLE: 0,
  REQUEST: 1,
  RESPONSE: 2,
  HOST_CALL: 3,
  HOST_REPLY: 4,
  /** The host gave up on this worker (timeout, close); the worker is being terminated. */
  DEAD: 5,
} as const;

const HEADER_BYTES = 16;
export const DATA_BYTES = 256 * 1024;
const ON_PORT = -1;

export function createChannelBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + DATA_BYTES);
}

/** One side's view of the channel. */
export class Channel {
  readonly state: Int32Array;
  readonly #data: Buffer;

  constructor(
    readonly sab: SharedArrayBuffer,
    readonly port: MessagePort,
  ) {
    this.state = new Int32Array(sab, 0, 4);
    this.#data = Buffer.from(sab, HEADER_BYTES, DATA_BYTES);
  }

  /** Write a payload and hand the channel over with `next`. */
  send(text: string, next: number): void {
    const len = Buffer.byteLength(text);
    if (len <= DATA_BYTES) {
      this.#data.write(text, 0, 'utf8');
      Atomics.store(this.state, 1, len);
    } else {
      this.port.postMessage(text);
      Atomics.store(this.state, 1, ON_PORT);
    }
    Atomics.store(this.state, 0, next);
    Atomics.notify(this.state, 0);
  }

  /** Worker: publish the linear memory its instance holds (read by `memoryBytes`, any time). */
  setMemoryBytes(bytes: number): void {
    Atomics.store(this.state, 2, Math.ceil(bytes / 65536));
  }

  /** The linear memory the worker's instance held after its last call (64 KB pages, as bytes). */
  memoryBytes(): number {
    return Atomics.load(this.state, 2) * 65536;
  }

  /** Read the payload the other side sent last. */
  receive(): string {
    const len = Atomics.load(this.state, 1);
    if (len !== ON_PORT) return this.#data.toString('utf8', 0, len);
    const got = receiveMessageOnPort(this.port);
    if (!got) throw new Error('channel: a large payload was announced but none arrived');
    return got.message as string;
  }

  /**
   * Block this thread until the state is no longer `from` (workers only: the host thread must
   * never block for long). Spins for `spinMicros` first: a quick answer is then taken without the
   * thread going to sleep and being woken, which costs far more than the spin.
   */
  waitSync(from: number, spinMicros: number): number {
    const spun = spinWhile(this.state, 0, from, spinMicros);
    if (spun !== from) return spun;
    for (;;) {
      Atomics.wait(this.state, 0, from);
      const s = Atomics.load(this.state, 0);
      if (s !== from) return s;
    }
  }

  /**
   * Wait until the state is no longer `from` on the host thread: a spin of `spinMicros`, then a
   * sleep of at most `sleepMicros` in `Atomics.wait` (woken at once by the worker's notify, the
   * CPU left to the worker meanwhile), then without blocking the event loop (`waitAsync`). The
   * spin and the sleep block the event loop: the caller bounds them, and asks for the sleep only
   * when no other call waits for the loop.
   */
  async waitAsync(from: number, spinMicros: number, sleepMicros = 0): Promise<number> {
    const spun = spinWhile(this.state, 0, from, spinMicros);
    if (spun !== from) return spun;
    if (sleepMicros > 0 && Atomics.wait(this.state, 0, from, sleepMicros / 1000) !== 'timed-out') {
      const s = Atomics.load(this.state, 0);
      if (s !== from) return s;
    }
    for (;;) {
      const r = Atomics.waitAsync(this.state, 0, from);
      if (r.async) await r.value;
      const s = Atomics.load(this.state, 0);
      if (s !== from) return s;
    }
  }
}

/** What the host sends: one export call. */
export interface CallRequest {
  /** `metadata`, `prep`, `exec` or `post`. */
  p: string;
  /** The phase's arguments as they cross the WIT boundary. */
  a: string[];
  /** Node type (for log records and error context). */
  n?: string;
  /** Set when the caller gave a clock: the plugin's `now` is asked of the host (else it is the worker's). */
  c?: 1;
  /** Set when the caller can cancel: the plugin's `cancelled` is asked of the host (else it is false). */
  x?: 1;
}

/** A log record as the worker buffers it (the host adds plugin and node). */
export interface WorkerLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  /** JSON text as the plugin passed it, or an object the worker made (stdio records). */
  fields?: string | Record<string, unknown>;
}

export interface WireError {
  code: string;
  message: string;
  details?: unknown;
  /** True when the worker discarded its instance (the next call gets a fresh one). */
  reset?: boolean;
}

/** What the worker answers. */
export type CallResponse = ({ ok: true; v: unknown } | { ok: false; e: WireError }) & Pending;

/**
 * Store writes the plugin made since the last hand-over (applied first, in order), and its log
 * records; what the worker dropped under the call's caps (call-limits.ts) rather than send.
 */
export interface Pending {
  sets?: [key: string, json: string][];
  logs?: WorkerLog[];
  /** Log records the worker dropped (over the call's log caps) since the last hand-over. */
  dropped?: number;
  /** Set once the call wrote more than its store cap: the worker stopped sending its writes. */
  storeOver?: 1;
}

/**
 * What the worker asks the host during a call. Store writes do not wait for an answer: they ride
 * along with the next host call or the response (`sets`), so a plugin's reads still see them.
 */
export type HostCall = (
  | { h: 'store-get'; k: string }
  | { h: 'store-delete'; k: string }
  | { h: 'now' }
  | { h: 'cancelled' }
  | { h: 'flush' }
  | { h: 'http'; method: string; url: string; headers: [string, string][]; body?: string }
  | { h: 'kv'; kv: KvCall }
) &
  Pending;
