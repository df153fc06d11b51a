/**
 * Where a worker thread's module is: the compiled file under `dist/` (worker threads cannot
 * start from `.ts` on Node 20), or, when running from sources without a build, the `.ts` file
 * through tsx.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolchainRoot } from './wit-world.js';

/** `file` is relative to `host/src`, without extension, e.g. `sandbox/plugin-worker`. */
export function workerEntry(file: string): { path: string; execArgv: string[] } {
  const compiled = join(toolchainRoot(), 'dist', 'host', 'src', `${file}.js`);
  if (import.meta.url.endsWith('.ts') && !existsSync(compiled)) {
    return { path: fileURLToPath(new URL(`./${file}.ts`, import.meta.url)), execArgv: ['--import', 'tsx'] };
  }
  return { path: compiled, execArgv: [] };
}
