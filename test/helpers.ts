/** Shared test helpers: real builds of fixtures (memoized per process), temp dirs, the real CLI. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlugin } from '../tools/build/build.js';
import type { JsEngine } from '../tools/build/bundle-ts.js';
import * as assert from 'uvu/assert';
import { PluginError, type LogRecord, type LogSink } from '../host/src/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ENGINES: readonly JsEngine[] = ['quickjs', 'starlingmonkey'];
export const CLI = join(ROOT, 'dist', 'pocket-wit.mjs');

export function tempDir(prefix = 'pocket-wit-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** One transpile cache for the whole test process. */
export const CACHE_DIR = tempDir('pocket-wit-cache-');

const builds = new Map<string, Promise<string>>();

/** Build a project directory (relative to the repo root) with an engine; memoized. */
export function built(projectDir: string, engine: JsEngine = 'quickjs', witVersion?: string): Promise<string> {
  const key = `${projectDir}|${engine}|${witVersion ?? 'newest'}`;
  let entry = builds.get(key);
  if (!entry) {
    const out = join(tempDir('pocket-wit-build-'), `${engine}.wasm`);
    entry = buildPlugin(join(ROOT, projectDir), { engine, out, ...(witVersion ? { witVersion } : {}) }).then((r) => r.out);
    builds.set(key, entry);
  }
  return entry;
}

/** A log sink that records what it gets. */
export function recordingSink(): { sink: LogSink; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { sink: (r) => void records.push(r), records };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real `pocket-wit` binary (dist/pocket-wit.mjs, the bundled CLI). */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, POCKET_WIT_CACHE: CACHE_DIR, CI: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Await `p`, expecting it to fail with a PluginError of `code` (and a message matching `pattern`). */
export async function expectError(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<PluginError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, PluginError, `expected a PluginError, got ${String(err)}`);
    const e = err as PluginError;
    assert.is(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.unreachable(`expected error[${code}]`);
  throw new Error('unreachable');
}
