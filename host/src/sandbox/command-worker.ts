/**
 * The worker side of the command runner (`command-runner.ts`): one long-lived instance of a WASI
 * command plugin (a Go program) per worker thread.
 *
 * The plugin never sees the preview2 shim or the process: its `wasi:*` imports are the sandbox's
 * per-instance WASI (`sandbox/wasi/`), granted nothing, with the worker's own stdio:
 * - stdin blocks in `blocking-read` on `Atomics.wait` until the main thread posts more bytes on
 *   the private port (read synchronously with `receiveMessageOnPort`);
 * - stdout chunks (≤ 4,096 bytes each) go to the main thread, which reassembles the frames;
 * - stderr goes to the main thread, which logs it under the plugin's name;
 * - no environment, no preopens, no network, args `[name]`; `exit` ends `run` (a `WasiExit`), never
 *   the process.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { instantiateGlue, type GlueModule } from './instantiate.js';
import { createWasi, WasiExit } from './wasi/index.js';
import type { WorkerLifecycle } from './worker-host.js';

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
  | WorkerLifecycle
  | { kind: 'stdout'; data: Uint8Array }
  | { kind: 'stderr'; data: Uint8Array }
  | { kind: 'exit'; ok: boolean; message: string };

const init = workerData as CommandWorkerInit;
const signal = new Int32Array(init.signal);
const post = (msg: FromCommandWorker, transfer?: ArrayBuffer[]): void => parentPort!.postMessage(msg, transfer ?? []);

// Pending stdin bytes not yet handed to the guest.
let pending: Uint8Array = new Uint8Array(0);

/** Wait (on `Atomics.wait`) until the main thread has posted more stdin bytes; add them to `pending`. */
function waitForStdin(): void {
  for (;;) {
    const seen = Atomics.load(signal, 0);
    const got = receiveMessageOnPort(init.port);
    if (got) {
      const bytes = got.message as Uint8Array;
      pending = pending.length === 0 ? bytes : concat(pending, bytes);
      return;
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

/** The plugin's stdin: blocks (on `Atomics.wait`) until the next request arrives. */
function readStdin(max: number): Uint8Array {
  if (pending.length === 0) waitForStdin();
  const out = pending.slice(0, max);
  pending = pending.subarray(out.length);
  return out;
}

/** stdout/stderr chunks go to the main thread (a copy, transferred). */
function forward(kind: 'stdout' | 'stderr', bytes: Uint8Array): void {
  const data = new Uint8Array(bytes);
  post({ kind, data }, [data.buffer as ArrayBuffer]);
}

/** The sandbox's WASI, granted nothing: no env, no directories, no network; stdio as above. */
const imports = createWasi(
  { env: [], dirs: [], args: [init.name] },
  {
    stdin: readStdin,
    stdout: (bytes) => forward('stdout', bytes),
    stderr: (bytes) => forward('stderr', bytes),
    http: () => ({ ok: false, code: 'HTTP-request-denied', message: `${init.name} has no network permission (Go plugins get none)` }),
  },
);

async function main(): Promise<void> {
  let run: () => unknown;
  try {
    const glue = (await import(pathToFileURL(init.entry).href)) as GlueModule;
    post({ kind: 'instantiating' });
    const exports = instantiateGlue(glue, init.modules, imports, init.name);
    const runIface = (exports.run ?? Object.entries(exports).find(([k]) => k.startsWith('wasi:cli/run'))?.[1]) as { run?: () => unknown } | undefined;
    if (!runIface?.run) throw new Error('the component does not export wasi:cli/run');
    run = runIface.run.bind(runIface);
  } catch (err) {
    post({ kind: 'failed', error: { code: 'trap', message: `${init.name} failed to start: ${(err as Error)?.message ?? String(err)}` } });
    return;
  }
  post({ kind: 'ready' });
  try {
    run();
    post({ kind: 'exit', ok: true, message: 'the plugin program returned' });
  } catch (err) {
    if (err instanceof WasiExit) post({ kind: 'exit', ok: err.status === 0, message: err.status === 0 ? 'the plugin exited' : 'the plugin exited with an error' });
    else post({ kind: 'exit', ok: false, message: (err as Error)?.message ?? String(err) });
  }
}

void main();
