/**
 * `pocket-wit list` with 100 installed plugins: the real CLI, in a temporary POCKET_HOME, first
 * with an empty metadata index (every component read once), then with the index filled.
 * Prints one JSON line; run by scripts/bench.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installComponent } from '../host/src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasm = process.argv[2];
if (!wasm) throw new Error('usage: bench-list.ts <plugin.wasm>');
const home = mkdtempSync(join(tmpdir(), 'pocket-wit-bench-list-'));
const COUNT = 100;
try {
  for (let i = 0; i < COUNT; i++) await installComponent(join(home, 'plugins'), { file: wasm, name: `plugin-${String(i).padStart(3, '0')}`, source: wasm });
  const run = (): number => {
    const started = performance.now();
    const r = spawnSync(process.execPath, [join(root, 'dist/pocket-wit.mjs'), 'list'], { env: { ...process.env, POCKET_HOME: home }, encoding: 'utf8' });
    const ms = performance.now() - started;
    if (r.status !== 0 || r.stdout.trim().split('\n').length !== COUNT + 1) throw new Error(`list failed: ${r.stderr}`);
    return ms;
  };
  const coldMs = run();
  const warm = [run(), run(), run()].sort((a, b) => a - b);
  const empty = mkdtempSync(join(tmpdir(), 'pocket-wit-bench-empty-'));
  const started = performance.now();
  spawnSync(process.execPath, [join(root, 'dist/pocket-wit.mjs'), 'list'], { env: { ...process.env, POCKET_HOME: empty } });
  const baselineMs = performance.now() - started;
  rmSync(empty, { recursive: true, force: true });
  console.log(JSON.stringify({ plugins: COUNT, coldMs, warmMs: warm[1], baselineMs }));
} finally {
  rmSync(home, { recursive: true, force: true });
}
