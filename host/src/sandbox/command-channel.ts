/**
 * The command runner's channel between a command worker (`command-worker.ts`, where the plugin's
 * stdout and stderr arrive) and the host thread (`command-runner.ts`), built so that a hostile
 * plugin cannot block the host thread: the worker does all the per-byte work, the host thread
 * does O(message) work at most once per message, in bounded slices.
 *
 * - `FrameReader` (worker): the plugin's stdout is a stream of frames (4-byte little-endian length,
 *   then that many bytes); the reader copies each chunk once into a buffer of the announced size,
 *   and refuses at once a frame announced larger than the limit, buffering nothing of it.
 * - `Outbox` (worker) / `Inbox` (host): small messages (log records, store writes, host calls) go
 *   through a ring buffer in a SharedArrayBuffer, and one `wake` message per batch tells the host
 *   thread to read them. When the ring is full the worker waits (backpressure): whatever the plugin
 *   writes, at most one ring of messages is waiting for the host. What is in the ring is readable
 *   even while the plugin spins, so a call stopped for its timeout still delivers its logs.
 *   Messages too large for the ring, and the call's result, are posted (`postMessage`); a fence
 *   (the ring position when one was posted) keeps them in order with the rest, and the worker posts
 *   the next one only once the host has taken the previous one.
 *
 * The SharedArrayBuffer also carries the stdin counter the worker waits on for requests.
 */

import { spinWhile } from './spin.js';

/** Int32 words at the start of the shared buffer. */
const W = {
  /** Bumped (and notified) by the host after it posts stdin bytes. */
  STDIN: 0,
  /** Total bytes the worker has written into the ring (wraps at 2^32). */
  WRITE: 1,
  /** Total bytes the host has read from the ring. */
  READ: 2,
  /** 1 while a `wake` message is on its way (the worker posts one per batch). */
  WAKE: 3,
  /** 1 while a posted message is not yet taken by the host (there is at most one). */
  DIRECT: 4,
  /** The ring position when it was posted: the ring is not read past it until it is taken. */
  FENCE: 5,
  /** The instance's linear memory after its last message, in 64 KB pages (a gauge for `stats`). */
  MEMORY: 6,
} as const;

/** The linear memory the instance holds: the worker sets it after every message, the host reads it. */
export class MemoryGauge {
  readonly #words: Int32Array;
  constructor(sab: SharedArrayBuffer) {
    this.#words = new Int32Array(sab, 0, HEADER_BYTES / 4);
  }
  set(bytes: number): void {
    Atomics.store(this.#words, W.MEMORY, Math.ceil(bytes / 65536));
  }
  get bytes(): number {
    return Atomics.load(this.#words, W.MEMORY) * 65536;
  }
}
const HEADER_BYTES = 32;
/** The ring's size: what may wait for the host thread at most (besides one large message). */
export const RING_BYTES = 1024 * 1024;
/** A message larger than this is posted instead of going through the ring. */
export const RING_MESSAGE_MAX = 256 * 1024;

export function createCommandBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + RING_BYTES);
}

/** The stdin counter: the host bumps it after posting bytes, the worker waits on it. */
export class StdinSignal {
  readonly #words: Int32Array;
  constructor(sab: SharedArrayBuffer) {
    this.#words = new Int32Array(sab, 0, HEADER_BYTES / 4);
  }
  load(): number {
    return Atomics.load(this.#words, W.STDIN);
  }
  /**
   * Worker: sleep until the counter is no longer `seen`, after a spin of `spinMicros` (the next
   * request of a run of calls usually comes within it, and then costs no wake-up).
   */
  wait(seen: number, spinMicros = 0): void {
    if (spinWhile(this.#words, W.STDIN, seen, spinMicros) !== seen) return;
    Atomics.wait(this.#words, W.STDIN, seen);
  }
  /** Host: more stdin bytes were posted. */
  bump(): void {
    Atomics.add(this.#words, W.STDIN, 1);
    Atomics.notify(this.#words, W.STDIN);
  }
}

/** Sleep until `words[index]` is no longer `value` (worker side only). */
function waitWhile(words: Int32Array, index: number, value: number): void {
  // A bounded wait: a missed notify costs at most this long, never a hang.
  Atomics.wait(words, index, value, 50);
}

/** The worker's side: ring writes, large messages posted, both in one order. */
export class Outbox<Large> {
  readonly #words: Int32Array;
  readonly #ring: Buffer;
  readonly #post: (msg: { kind: 'wake' } | Large) => void;

  constructor(sab: SharedArrayBuffer, post: (msg: { kind: 'wake' } | Large) => void) {
    this.#words = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.#ring = Buffer.from(sab, HEADER_BYTES, RING_BYTES);
    this.#post = post;
  }

  /** Send one small message (JSON text); one larger than `RING_MESSAGE_MAX` is `large(text)`, posted. */
  send(text: string, large: () => Large): void {
    const bytes = Buffer.byteLength(text);
    if (bytes > RING_MESSAGE_MAX) {
      this.post(large());
      return;
    }
    this.#write(text, bytes);
  }

  /** Post a message (a result, a large record), in order with what went through the ring. */
  post(msg: Large): void {
    // At most one posted message waits for the host: a plugin cannot queue up gigabytes.
    for (let d = Atomics.load(this.#words, W.DIRECT); d !== 0; d = Atomics.load(this.#words, W.DIRECT)) waitWhile(this.#words, W.DIRECT, d);
    // The fence before the flag: a host that sees a ring record written after this sees both.
    Atomics.store(this.#words, W.FENCE, Atomics.load(this.#words, W.WRITE));
    Atomics.store(this.#words, W.DIRECT, 1);
    this.#post(msg);
  }

  #write(text: string, bytes: number): void {
    const need = 4 + bytes;
    const write = Atomics.load(this.#words, W.WRITE);
    // Backpressure: wait until the host has read enough.
    for (;;) {
      const read = Atomics.load(this.#words, W.READ);
      if (RING_BYTES - ((write - read) >>> 0) >= need) break;
      waitWhile(this.#words, W.READ, read);
    }
    const at = (write >>> 0) % RING_BYTES;
    if (at + need <= RING_BYTES) {
      this.#ring.writeUInt32LE(bytes, at);
      this.#ring.write(text, at + 4, bytes, 'utf8');
    } else {
      // The record wraps round the end of the ring: written whole elsewhere, copied in two parts.
      const record = Buffer.allocUnsafe(need);
      record.writeUInt32LE(bytes, 0);
      record.write(text, 4, 'utf8');
      const first = RING_BYTES - at;
      record.copy(this.#ring, at, 0, first);
      record.copy(this.#ring, 0, first, need);
    }
    Atomics.store(this.#words, W.WRITE, (write + need) | 0);
    // One wake per batch: the host clears the flag before it reads.
    if (Atomics.compareExchange(this.#words, W.WAKE, 0, 1) === 0) this.#post({ kind: 'wake' });
  }
}

/** The host's side: reads ring messages in order, stopping at the fence of a posted message. */
export class Inbox {
  readonly #words: Int32Array;
  readonly #ring: Buffer;

  constructor(sab: SharedArrayBuffer) {
    this.#words = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.#ring = Buffer.from(sab, HEADER_BYTES, RING_BYTES);
  }

  /**
   * Read up to `max` messages (JSON text each), in order; stops at the fence of a posted message
   * not yet taken (`posted()` then lets it go on). Returns whether more are waiting.
   */
  read(each: (text: string) => void, max = Infinity): boolean {
    Atomics.store(this.#words, W.WAKE, 0);
    for (let n = 0; ; n++) {
      const read = Atomics.load(this.#words, W.READ);
      if (read === Atomics.load(this.#words, W.WRITE) || this.awaitingPosted) return false;
      if (n >= max) return true;
      const at = (read >>> 0) % RING_BYTES;
      const len = this.#bytesAt(at, 4).readUInt32LE(0);
      const text = this.#bytesAt((at + 4) % RING_BYTES, len).toString('utf8');
      Atomics.store(this.#words, W.READ, (read + 4 + len) | 0);
      Atomics.notify(this.#words, W.READ);
      each(text);
    }
  }

  /** A posted message was taken: the worker may post the next, and the ring is read on past it. */
  posted(): void {
    Atomics.store(this.#words, W.DIRECT, 0);
    Atomics.notify(this.#words, W.DIRECT);
  }

  /** Whether the ring is read up to the fence of a posted message not yet taken (that message comes next). */
  get awaitingPosted(): boolean {
    // WRITE is read before this (in `read`), the flag before the fence: see `Outbox.post`.
    return Atomics.load(this.#words, W.DIRECT) !== 0 && Atomics.load(this.#words, W.READ) === Atomics.load(this.#words, W.FENCE);
  }

  /** `len` bytes at `at` in the ring (a view when they do not wrap, else a copy). */
  #bytesAt(at: number, len: number): Buffer {
    if (at + len <= RING_BYTES) return this.#ring.subarray(at, at + len);
    const out = Buffer.allocUnsafe(len);
    const first = RING_BYTES - at;
    this.#ring.copy(out, 0, at, RING_BYTES);
    this.#ring.copy(out, first, 0, len - first);
    return out;
  }
}

/**
 * Splits the plugin's stdout into frames: a 4-byte little-endian length, then the body. Each byte
 * is copied once, into a buffer of the announced size; a frame announced larger than `max` is
 * refused when its header arrives (`onTooLarge`), and everything after it is ignored.
 */
export class FrameReader {
  readonly #header = new Uint8Array(4);
  #headerFill = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #refused = false;

  constructor(
    readonly max: number,
    readonly onFrame: (body: Uint8Array) => void,
    readonly onTooLarge: (announced: number) => void,
  ) {}

  /** True once a frame was refused: the stream is out of sync and nothing more is read. */
  get refused(): boolean {
    return this.#refused;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.#refused) {
      if (this.#body === undefined) {
        const n = Math.min(4 - this.#headerFill, chunk.length - i);
        this.#header.set(chunk.subarray(i, i + n), this.#headerFill);
        this.#headerFill += n;
        i += n;
        if (this.#headerFill < 4) return;
        const len = new DataView(this.#header.buffer).getUint32(0, true);
        this.#headerFill = 0;
        if (len > this.max) {
          this.#refused = true;
          this.onTooLarge(len);
          return;
        }
        this.#body = new Uint8Array(len);
        this.#bodyFill = 0;
      } else {
        const n = Math.min(this.#body.length - this.#bodyFill, chunk.length - i);
        this.#body.set(chunk.subarray(i, i + n), this.#bodyFill);
        this.#bodyFill += n;
        i += n;
      }
      if (this.#body.length === this.#bodyFill) {
        const body = this.#body;
        this.#body = undefined;
        this.onFrame(body);
      }
    }
  }

  /** Bytes of an unfinished frame held now (for tests: never more than the announced size). */
  get buffered(): number {
    return this.#headerFill + (this.#body?.length ?? 0);
  }
}
