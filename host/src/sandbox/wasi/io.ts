/**
 * `wasi:io/error`, `wasi:io/poll` and `wasi:io/streams` for one instance.
 *
 * `createIo()` defines fresh classes each time (jco's glue checks `instanceof` against the classes
 * passed in the import object, and two instances must share nothing). Every stream is backed by a
 * synchronous source or sink supplied by the caller (a file, stdout, an HTTP body), so streams are
 * always ready; pollables are either always ready, ready at a monotonic deadline, or ready when a
 * predicate says so. Sleeping uses `Atomics.wait` (legal in a worker thread and in Node's main
 * thread), never a busy loop.
 */
import type { FilesystemTypes, HttpTypes, IoError as IoErrorTypes, IoPoll, IoStreams, WasiImports } from './contract.js';

/** Where an input stream's bytes come from. `null` means end of stream. */
export interface ByteSource {
  read(max: number): Uint8Array | null;
}

/** Where an output stream's bytes go. Throwing a {@link StreamFailure} reports `last-operation-failed`. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  /** Bytes the sink accepts in one `write` (what `check-write` answers). */
  readonly budget?: number;
}

/** Thrown by a sink or source: becomes `stream-error.last-operation-failed` with this message. */
export class StreamFailure extends Error {
  constructor(
    message: string,
    /** What `filesystem-error-code` / `http-error-code` answer for the resulting `wasi:io/error`. */
    readonly fsCode?: FilesystemTypes.ErrorCode,
    readonly httpCode?: HttpTypes.ErrorCode,
  ) {
    super(message);
  }
}

/** The largest chunk handed to a guest in one read. */
export const MAX_READ_CHUNK = 1 << 20;
const DEFAULT_BUDGET = 1 << 20;

/** A `wasi:io/error`, with what the filesystem and HTTP error-code functions read from it. */
export interface IoErrorInstance extends IoErrorTypes.Error {
  readonly message: string;
  readonly fsCode?: FilesystemTypes.ErrorCode | undefined;
  readonly httpCode?: HttpTypes.ErrorCode | undefined;
}
export type PollableInstance = IoPoll.Pollable;
export type InputStreamInstance = IoStreams.InputStream;
export type OutputStreamInstance = IoStreams.OutputStream;

export interface Io {
  IoError: new (message: string, fsCode?: FilesystemTypes.ErrorCode, httpCode?: HttpTypes.ErrorCode) => IoErrorInstance;
  Pollable: new (deadline?: bigint, readyWhen?: () => boolean) => PollableInstance;
  InputStream: new (source: ByteSource) => InputStreamInstance;
  OutputStream: new (sink: ByteSink) => OutputStreamInstance;
  poll(list: PollableInstance[]): Uint32Array;
  /** The import-object entries for `wasi:io/*`. */
  imports: Pick<WasiImports, 'wasi:io/error' | 'wasi:io/poll' | 'wasi:io/streams'>;
}

/** Builds one instance's `wasi:io` classes and functions. */
export function createIo(): Io {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const sleepMs = (ms: number): void => {
    if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
  };

  class IoError implements IoErrorInstance {
    constructor(
      readonly message: string,
      readonly fsCode?: FilesystemTypes.ErrorCode,
      readonly httpCode?: HttpTypes.ErrorCode,
    ) {}
    toDebugString(): string {
      return this.message;
    }
  }

  class Pollable implements IoPoll.Pollable {
    /**
     * @param deadline monotonic time (ns, `process.hrtime.bigint()`) at which it becomes ready
     * @param readyWhen a readiness predicate; with neither, the pollable is always ready
     */
    constructor(
      readonly deadline?: bigint,
      readonly readyWhen?: () => boolean,
    ) {}
    ready(): boolean {
      if (this.deadline !== undefined) return process.hrtime.bigint() >= this.deadline;
      if (this.readyWhen) return this.readyWhen();
      return true;
    }
    block(): void {
      poll([this]);
    }
  }

  /** Indices of the ready pollables; sleeps until the nearest deadline when none is ready. */
  function poll(list: PollableInstance[]): Uint32Array {
    if (list.length === 0) throw new Error('wasi:io/poll: poll called with an empty list');
    for (;;) {
      const ready: number[] = [];
      list.forEach((p, i) => {
        if (p.ready()) ready.push(i);
      });
      if (ready.length > 0) return new Uint32Array(ready);
      let nearest: bigint | undefined;
      for (const p of list) {
        const d = (p as Pollable).deadline;
        if (d !== undefined && (nearest === undefined || d < nearest)) nearest = d;
      }
      // Everything here is synchronous: a pollable with neither a deadline nor a satisfied
      // predicate can never become ready while we wait. Trap instead of hanging forever.
      if (nearest === undefined) throw new Error('wasi:io/poll: waiting on pollables that can never become ready');
      sleepMs(Number(nearest - process.hrtime.bigint()) / 1e6);
    }
  }

  const failure = (e: unknown): IoStreams.StreamErrorLastOperationFailed => {
    if (e instanceof StreamFailure) return { tag: 'last-operation-failed', val: new IoError(e.message, e.fsCode, e.httpCode) };
    return { tag: 'last-operation-failed', val: new IoError((e as Error | null)?.message ?? String(e)) };
  };
  const CLOSED: IoStreams.StreamErrorClosed = Object.freeze({ tag: 'closed' });

  class InputStream implements IoStreams.InputStream {
    #source: ByteSource;
    #closed = false;
    constructor(source: ByteSource) {
      this.#source = source;
    }
    read(len: bigint): Uint8Array {
      if (this.#closed) throw CLOSED;
      const max = Math.min(Number(len), MAX_READ_CHUNK);
      let got: Uint8Array | null;
      try {
        got = max === 0 ? new Uint8Array(0) : this.#source.read(max);
      } catch (e) {
        this.#closed = true;
        throw failure(e);
      }
      if (got === null) {
        this.#closed = true;
        throw CLOSED;
      }
      return got;
    }
    blockingRead(len: bigint): Uint8Array {
      return this.read(len);
    }
    skip(len: bigint): bigint {
      return BigInt(this.read(len).length);
    }
    blockingSkip(len: bigint): bigint {
      return this.skip(len);
    }
    subscribe(): Pollable {
      return new Pollable();
    }
  }

  class OutputStream implements IoStreams.OutputStream {
    #sink: ByteSink;
    #closed = false;
    constructor(sink: ByteSink) {
      this.#sink = sink;
    }
    checkWrite(): bigint {
      if (this.#closed) throw CLOSED;
      return BigInt(this.#sink.budget ?? DEFAULT_BUDGET);
    }
    write(contents: Uint8Array): void {
      if (this.#closed) throw CLOSED;
      if (contents.length === 0) return;
      try {
        // The glue may hand a view of guest memory: the sink gets its own copy.
        this.#sink.write(new Uint8Array(contents));
      } catch (e) {
        this.#closed = true;
        throw failure(e);
      }
    }
    blockingWriteAndFlush(contents: Uint8Array): void {
      this.write(contents);
    }
    flush(): void {
      if (this.#closed) throw CLOSED;
    }
    blockingFlush(): void {
      this.flush();
    }
    subscribe(): Pollable {
      return new Pollable();
    }
    writeZeroes(len: bigint): void {
      this.write(new Uint8Array(Math.min(Number(len), MAX_READ_CHUNK)));
    }
    blockingWriteZeroesAndFlush(len: bigint): void {
      this.writeZeroes(len);
    }
    splice(src: InputStreamInstance, len: bigint): bigint {
      if (this.#closed) throw CLOSED;
      const bytes = src.read(len);
      this.write(bytes);
      return BigInt(bytes.length);
    }
    blockingSplice(src: InputStreamInstance, len: bigint): bigint {
      return this.splice(src, len);
    }
  }

  return {
    IoError,
    Pollable,
    InputStream,
    OutputStream,
    poll,
    imports: {
      'wasi:io/error': { Error: IoError },
      'wasi:io/poll': { Pollable, poll },
      'wasi:io/streams': { InputStream, OutputStream },
    },
  };
}
