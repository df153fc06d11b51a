/**
 * The sandbox's WASI 0.2: a fresh, per-instance set of `wasi:*` imports built from a plugin's
 * grant, for jco's `instantiation: 'sync'` glue, running inside the plugin's worker thread.
 *
 * Nothing here touches process-wide state (no preview2-shim, no `process.env`, no
 * `process.exit`, no real stdio): every `createWasi()` call defines its own resource classes and
 * holds its own open files, so two results are fully independent. See each module for what it
 * allows: fs.ts (granted directories only, escapes refused, read-only enforced), cli.ts (granted
 * env/args, empty stdin, captured stdout/stderr, exit → {@link WasiExit}), clocks.ts (clocks and
 * random), sockets.ts (all denied), http.ts (outgoing requests through `io.http`), keyvalue.ts
 * (`wasi:keyvalue` storage through `io.kv`).
 *
 * What each interface must look like is checked at compile time against the declarations jco
 * generates from the WASI WIT (contract.ts); the list of interfaces provided,
 * {@link SANDBOX_WASI_INTERFACES}, is read off what `createWasi` builds.
 */
import { realpathSync } from 'node:fs';
import { createCli } from './cli.js';
import { createClocksAndRandom } from './clocks.js';
import { createFilesystem, ResourceTracker } from './fs.js';
import { createHttp } from './http.js';
import { createIo } from './io.js';
import { createKeyvalue, type KvIo } from './keyvalue.js';
import { createSockets } from './sockets.js';
import type { WasiImports } from './contract.js';

export type { WasiImports, WasiInterfaceName } from './contract.js';
export { WasiExit } from './exit.js';

import type { DirGrant } from './fs.js';
export type { DirGrant };
/** What one plugin instance may see. */
export interface WasiGrant {
  env: [string, string][];
  dirs: readonly DirGrant[];
  args: string[];
}
/** An outgoing HTTP request, as the guest built it. */
export interface HttpRequestOut {
  method: string;
  url: string;
  headers: [string, string][];
  body?: Uint8Array;
}
/**
 * The answer to {@link HttpRequestOut}. `code`: a `wasi:http` `error-code` case name, e.g.
 * 'HTTP-request-denied', 'DNS-error', 'connection-refused', 'connection-timeout', 'internal-error'.
 */
export type HttpResult =
  | { ok: true; status: number; headers: [string, string][]; body: Uint8Array }
  | { ok: false; code: string; message: string };
/** The worker's side: where output goes and who performs HTTP requests. */
export interface WasiIo {
  /** The plugin's stdout bytes (the worker forwards them to the host logger). */
  stdout(bytes: Uint8Array): void;
  stderr(bytes: Uint8Array): void;
  /** Synchronous; the worker blocks on the main thread, which checks the host allow-list and fetches. */
  http(req: HttpRequestOut): HttpResult;
  /**
   * Where stdin bytes come from (up to `max`; `null` is end of stream). Empty by default; the Go
   * command worker feeds its framed requests here.
   */
  stdin?(max: number): Uint8Array | null;
  /** Storage calls (`wasi:keyvalue`), answered by the host thread; absent: every `open` is denied. */
  kv?: KvIo;
}

/**
 * The host directory as the containment checks compare it: already realpath'd by contract, but
 * resolved again when it exists (a symlinked root would otherwise fail every `/proc` check).
 */
function realHost(host: string): string {
  try {
    return realpathSync(host);
  } catch {
    return host.length > 1 ? host.replace(/\/+$/, '') : host;
  }
}

const trackers = new WeakMap<object, ResourceTracker>();

/**
 * A fresh set of WASI imports for one instance, keyed by unversioned interface name. Throws (a
 * host-side configuration error) for a relative host path or a grant of the host's `/`.
 */
export function createWasi(grant: WasiGrant, io: WasiIo): WasiImports {
  for (const d of grant.dirs) {
    if (!d.host.startsWith('/')) throw new Error(`sandbox WASI: the host path of ${d.guest} must be absolute, got ${d.host}`);
    if (!d.guest) throw new Error(`sandbox WASI: an empty guest path for ${d.host}`);
  }
  const dirs = grant.dirs.map((d) => ({ guest: d.guest, host: realHost(d.host), writable: d.writable }));
  for (const d of dirs) {
    if (d.host === '/') throw new Error(`sandbox WASI: refusing to preopen the host's root directory (as ${d.guest})`);
  }
  const wio = createIo();
  const tracker = new ResourceTracker();
  const imports: WasiImports = {
    ...wio.imports,
    ...createCli(grant, io, wio),
    ...createClocksAndRandom(wio),
    ...createFilesystem(dirs, wio, tracker).imports,
    ...createSockets(wio),
    ...createHttp(io, wio),
    ...createKeyvalue(io.kv),
  };
  trackers.set(imports, tracker);
  return imports;
}

/**
 * Closes every host file and directory handle an instance created by {@link createWasi} still
 * holds (for a worker retiring an instance without exiting). Safe to call more than once.
 */
export function disposeWasi(imports: Record<string, unknown>): void {
  trackers.get(imports)?.closeAll();
}

/**
 * The `wasi:*` interfaces the sandbox's per-instance WASI provides, by unversioned name (the
 * keys jco's generated `instantiate(getCoreModule, imports)` expects), sorted: the keys of what
 * {@link createWasi} builds, granted nothing. `pocket-wit check`, the host's `checkWorld` and the
 * build accept a plugin's `wasi:*` import only if it is one of these.
 */
export const SANDBOX_WASI_INTERFACES: readonly string[] = Object.freeze(
  Object.keys(
    createWasi(
      { env: [], dirs: [], args: [] },
      { stdout: () => {}, stderr: () => {}, http: () => ({ ok: false, code: 'HTTP-request-denied', message: 'not granted' }) },
    ),
  ).sort(),
);
