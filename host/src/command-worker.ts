/**
 * The worker side of the command runner (`command-runner.ts`): one long-lived instance of a WASI
 * command plugin (a Go program) per worker thread.
 *
 * The plugin never sees the preview2 shim or the process: this module implements every `wasi:*`
 * interface the preview1 command adapter imports, per instance, with its own classes (jco's glue
 * checks `instanceof` against the classes passed here):
 * - stdin blocks in `blocking-read` on `Atomics.wait` until the main thread posts more bytes on
 *   the private port (read synchronously with `receiveMessageOnPort`);
 * - stdout chunks (≤ 4,096 bytes each) go to the main thread, which reassembles the frames;
 * - stderr goes to the main thread, which logs it under the plugin's name;
 * - no environment, no preopens, args `[name]`; `exit` ends `run` with an error, never the process.
 */
import { randomFillSync } from 'node:crypto';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

export interface CommandWorkerInit {
  /** Absolute path of the transpiled glue (`instantiation: 'sync'`). */
  entry: string;
  /** Compiled core modules, by the names the glue asks for. */
  modules: Record<string, WebAssembly.Module>;
  /** The plugin's name: `argv[0]`. */
  name: string;
  /** Int32 counter the main thread bumps (and notifies) after posting stdin bytes. */
  signal: SharedArrayBuffer;
  /** Where stdin bytes arrive. */
  port: MessagePort;
}

export type FromCommandWorker =
  | { kind: 'ready' }
  | { kind: 'stdout'; data: Uint8Array }
  | { kind: 'stderr'; data: Uint8Array }
  | { kind: 'exit'; ok: boolean; message: string };

const init = workerData as CommandWorkerInit;
const signal = new Int32Array(init.signal);
const post = (msg: FromCommandWorker, transfer?: ArrayBuffer[]): void => parentPort!.postMessage(msg, transfer ?? []);

class ExitSignal extends Error {
  constructor(readonly ok: boolean) {
    super(ok ? 'the plugin exited' : 'the plugin exited with an error');
  }
}

// Pending stdin bytes not yet handed to the guest.
let pending: Uint8Array = new Uint8Array(0);

function takeStdin(block: boolean): boolean {
  for (;;) {
    const got = receiveMessageOnPort(init.port);
    if (got) {
      const bytes = got.message as Uint8Array;
      pending = pending.length === 0 ? bytes : concat(pending, bytes);
      return true;
    }
    if (!block) return false;
    const seen = Atomics.load(signal, 0);
    const again = receiveMessageOnPort(init.port);
    if (again) {
      const bytes = again.message as Uint8Array;
      pending = pending.length === 0 ? bytes : concat(pending, bytes);
      return true;
    }
    Atomics.wait(signal, 0, seen);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

class IoError {
  constructor(readonly message: string) {}
  toDebugString(): string {
    return this.message;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

class Pollable {
  /** Monotonic deadline in ns, or undefined for "ready when stdin has data" / "always ready". */
  constructor(
    readonly deadline: bigint | undefined,
    readonly stdin = false,
  ) {}
  ready(): boolean {
    if (this.deadline !== undefined) return process.hrtime.bigint() >= this.deadline;
    if (this.stdin) return pending.length > 0 || takeStdin(false);
    return true;
  }
  block(): void {
    if (this.deadline !== undefined) {
      const ms = Number(this.deadline - process.hrtime.bigint()) / 1e6;
      if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
      return;
    }
    if (this.stdin && pending.length === 0) takeStdin(true);
  }
}

function poll(list: Pollable[]): Uint32Array {
  for (;;) {
    const ready = list.map((p, i) => (p.ready() ? i : -1)).filter((i) => i >= 0);
    if (ready.length > 0) return new Uint32Array(ready);
    // Nothing ready: wait for the nearest deadline (stdin readiness is re-checked after it).
    const deadlines = list.map((p) => p.deadline).filter((d): d is bigint => d !== undefined);
    if (deadlines.length === 0) {
      const stdin = list.find((p) => p.stdin);
      if (stdin) stdin.block();
      else return new Uint32Array(0);
    } else {
      const nearest = deadlines.reduce((a, b) => (a < b ? a : b));
      const ms = Math.min(Number(nearest - process.hrtime.bigint()) / 1e6, list.some((p) => p.stdin) ? 5 : Infinity);
      if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
    }
  }
}

class InputStream {
  read(len: bigint): Uint8Array {
    if (pending.length === 0) takeStdin(false);
    return this.#take(len);
  }
  blockingRead(len: bigint): Uint8Array {
    if (pending.length === 0) takeStdin(true);
    return this.#take(len);
  }
  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }
  blockingSkip(len: bigint): bigint {
    return BigInt(this.blockingRead(len).length);
  }
  subscribe(): Pollable {
    return new Pollable(undefined, true);
  }
  #take(len: bigint): Uint8Array {
    const n = Math.min(Number(len), pending.length);
    const out = pending.slice(0, n);
    pending = pending.subarray(n);
    return out;
  }
}

class OutputStream {
  constructor(readonly kind: 'stdout' | 'stderr') {}
  checkWrite(): bigint {
    return 1n << 20n;
  }
  write(buf: Uint8Array): void {
    const copy = new Uint8Array(buf);
    post({ kind: this.kind, data: copy }, [copy.buffer as ArrayBuffer]);
  }
  blockingWriteAndFlush(buf: Uint8Array): void {
    this.write(buf);
  }
  flush(): void {}
  blockingFlush(): void {}
  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
  subscribe(): Pollable {
    return new Pollable(undefined);
  }
  splice(): bigint {
    throw { tag: 'closed' };
  }
  blockingSplice(): bigint {
    throw { tag: 'closed' };
  }
}

class Descriptor {}
class TerminalInput {}
class TerminalOutput {}

const stdinStream = new InputStream();
const stdoutStream = new OutputStream('stdout');
const stderrStream = new OutputStream('stderr');

const imports: Record<string, unknown> = {
  'wasi:cli/environment': { getEnvironment: () => [], getArguments: () => [init.name], initialCwd: () => undefined },
  'wasi:cli/exit': {
    exit(status: { tag: string }) {
      throw new ExitSignal(status.tag === 'ok');
    },
    exitWithCode(code: number) {
      throw new ExitSignal(code === 0);
    },
  },
  'wasi:cli/stdin': { getStdin: () => stdinStream },
  'wasi:cli/stdout': { getStdout: () => stdoutStream },
  'wasi:cli/stderr': { getStderr: () => stderrStream },
  'wasi:cli/terminal-input': { TerminalInput },
  'wasi:cli/terminal-output': { TerminalOutput },
  'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
  'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
  'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
  'wasi:clocks/monotonic-clock': {
    now: () => process.hrtime.bigint(),
    resolution: () => 1n,
    subscribeDuration: (ns: bigint) => new Pollable(process.hrtime.bigint() + ns),
    subscribeInstant: (at: bigint) => new Pollable(at),
  },
  'wasi:clocks/wall-clock': {
    now() {
      const ms = Date.now();
      return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1e6 };
    },
    resolution: () => ({ seconds: 0n, nanoseconds: 1e6 }),
  },
  'wasi:filesystem/preopens': { getDirectories: () => [] },
  'wasi:filesystem/types': { Descriptor, filesystemErrorCode: () => undefined },
  'wasi:io/error': { Error: IoError },
  'wasi:io/poll': { Pollable, poll },
  'wasi:io/streams': { InputStream, OutputStream },
  'wasi:random/random': {
    getRandomBytes: (len: bigint) => randomFillSync(new Uint8Array(Number(len))),
    getRandomU64: () => randomFillSync(new BigUint64Array(1))[0]!,
  },
  'wasi:random/insecure': {
    getInsecureRandomBytes: (len: bigint) => randomFillSync(new Uint8Array(Number(len))),
    getInsecureRandomU64: () => randomFillSync(new BigUint64Array(1))[0]!,
  },
  'wasi:random/insecure-seed': { insecureSeed: () => [1n, 2n] },
};

interface Glue {
  instantiate(getCoreModule: (path: string) => WebAssembly.Module, imports: Record<string, unknown>): Record<string, unknown>;
}

async function main(): Promise<void> {
  let run: () => unknown;
  try {
    const glue = (await import(pathToFileURL(init.entry).href)) as Glue;
    const exports = glue.instantiate((path) => {
      const module = init.modules[path];
      if (!module) throw new Error(`the glue asked for an unknown core module ${path}`);
      return module;
    }, imports);
    const runIface = (exports.run ?? Object.entries(exports).find(([k]) => k.startsWith('wasi:cli/run'))?.[1]) as { run?: () => unknown } | undefined;
    if (!runIface?.run) throw new Error('the component does not export wasi:cli/run');
    run = runIface.run.bind(runIface);
  } catch (err) {
    post({ kind: 'exit', ok: false, message: `failed to start: ${(err as Error)?.message ?? String(err)}` });
    return;
  }
  post({ kind: 'ready' });
  try {
    run();
    post({ kind: 'exit', ok: true, message: 'the plugin program returned' });
  } catch (err) {
    if (err instanceof ExitSignal) post({ kind: 'exit', ok: err.ok, message: err.message });
    else post({ kind: 'exit', ok: false, message: (err as Error)?.message ?? String(err) });
  }
}

void main();
