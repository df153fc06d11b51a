/**
 * Running a WASI command component once, to its end, on the calling thread: its core modules
 * linked to the sandbox's per-instance WASI (`createWasi`, the one the command worker gives Go
 * plugins) under a given grant, `wasi:cli/run` called, stdout and stderr captured, the exit code
 * read. The command worker drives a long-lived instance over stdin instead, but finds `run`
 * ({@link commandRun}) and links the instance (`instantiateGlue`) the same way.
 *
 * Used by the WASI conformance test (test/wasi-testsuite.test.ts), which runs the official
 * wasi-testsuite programs through exactly this WASI.
 */
import { instantiateGlue, type GlueModule } from './instantiate.js';
import { createWasi, disposeWasi, WasiExit, type WasiGrant } from './wasi/index.js';

/** The `run` function of a command component's `wasi:cli/run` export, bound; throws when it has none. */
export function commandRun(exports: Record<string, unknown>): () => unknown {
  const iface = (exports.run ?? Object.entries(exports).find(([k]) => k.startsWith('wasi:cli/run'))?.[1]) as { run?: () => unknown } | undefined;
  if (!iface?.run) throw new Error('the component does not export wasi:cli/run');
  return iface.run.bind(iface);
}

/** How one run of a command ended. */
export interface CommandOutcome {
  /**
   * The exit code: 0 when `run` returned `ok`, 1 when it returned `err`, the status given to
   * `wasi:cli/exit` otherwise; `undefined` when the program trapped.
   */
  exitCode: number | undefined;
  /** The trap's message, when it trapped (or failed otherwise). */
  trap?: string;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/**
 * Instantiates the transpiled command (`glue` from jco's `instantiation: 'sync'`, `modules` its
 * compiled core modules) with a fresh `createWasi(grant)` (stdin empty, no network), calls
 * `wasi:cli/run` once and reports how it ended. Every host handle the instance opened is closed
 * afterwards.
 */
export function runCommandOnce(glue: GlueModule, modules: Record<string, WebAssembly.Module>, grant: WasiGrant, name: string): CommandOutcome {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const wasi = createWasi(grant, {
    stdout: (bytes) => void out.push(bytes.slice()),
    stderr: (bytes) => void err.push(bytes.slice()),
    http: () => ({ ok: false, code: 'HTTP-request-denied', message: `${name} has no network permission` }),
  });
  const collect = (chunks: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(chunks));
  let exitCode: number | undefined;
  let trap: string | undefined;
  try {
    const run = commandRun(instantiateGlue(glue, modules, wasi, name));
    try {
      run();
      exitCode = 0;
    } catch (e) {
      if (e instanceof WasiExit) exitCode = e.status;
      // jco's glue throws a ComponentError for `run`'s `err` result.
      else if ((e as object | undefined)?.constructor?.name === 'ComponentError') exitCode = 1;
      else trap = (e as Error)?.message ?? String(e);
    }
  } catch (e) {
    if (e instanceof WasiExit) exitCode = e.status;
    else trap = (e as Error)?.message ?? String(e);
  } finally {
    disposeWasi(wasi);
  }
  return { exitCode, ...(trap !== undefined ? { trap } : {}), stdout: collect(out), stderr: collect(err) };
}
