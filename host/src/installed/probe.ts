/**
 * Runs a plugin's metadata and its declared examples in a worker thread with a time limit, so
 * that checking an untrusted plugin never runs its code in the caller's thread and a plugin that
 * hangs is stopped. Used by `pocket-wit validate`, `test` and `install`.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolchainRoot } from '../wit-world.js';
import { PluginError, type ErrorCode } from '../errors.js';
import type { PluginMetadata } from '../metadata.js';
import type { PermissionsGrant } from '../sandbox/policy.js';

export interface ExampleResult {
  node: string;
  example: string;
  /** `pass`: output as declared; `fail`: another output or an error; `ran`: no output declared. */
  status: 'pass' | 'fail' | 'ran';
  expected?: unknown;
  actual?: unknown;
  next?: string;
  error?: { code: ErrorCode; message: string };
  ms: number;
}

export interface ProbeResult {
  metadata: PluginMetadata;
  examples: ExampleResult[];
}

export interface ProbeRequest {
  file: string;
  runExamples: boolean;
  cacheDir?: string;
  /** Load the plugin with this grant (e.g. what the user consented to at install). */
  permissions?: PermissionsGrant;
}

export type ProbeReply = { ok: true; result: ProbeResult } | { ok: false; code: ErrorCode; message: string };

function workerEntry(): { path: string; execArgv: string[] } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // From TypeScript sources (tsx): use the compiled worker when there is one (see batch.ts).
    const compiled = join(toolchainRoot(), 'dist', 'host', 'src', 'installed', 'probe-worker.js');
    if (existsSync(compiled)) return { path: compiled, execArgv: [] };
    return { path: fileURLToPath(new URL('./probe-worker.ts', self)), execArgv: ['--import', 'tsx'] };
  }
  // Compiled (dist/, or the bundled CLI): the worker is always the compiled module under dist/host.
  return { path: join(toolchainRoot(), 'dist', 'host', 'src', 'installed', 'probe-worker.js'), execArgv: [] };
}

/** Load `file` in a worker, read its metadata and (optionally) run its examples. */
export function probePlugin(request: ProbeRequest, timeoutMs = 30_000): Promise<ProbeResult> {
  const entry = workerEntry();
  const worker = new Worker(entry.path, { workerData: request, execArgv: entry.execArgv, stdout: true, stderr: true });
  return new Promise<ProbeResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new PluginError('timeout', `${request.file} did not finish loading and running its examples within ${Math.round(timeoutMs / 1000)} s; the check was stopped`));
    }, timeoutMs);
    worker.once('message', (reply: ProbeReply) => {
      clearTimeout(timer);
      void worker.terminate();
      if (reply.ok) resolve(reply.result);
      else reject(new PluginError(reply.code, reply.message));
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(new PluginError('trap', `checking ${request.file} crashed its worker: ${err.message}`, { cause: err }));
    });
  });
}
