/**
 * The child half of `npm run bench` (scripts/bench.ts): one measurement in a fresh Node process,
 * printed as one JSON line on stdout. A fresh process matters: compiled modules are memoized
 * per process, and the plain-JS floor replaces the global `Date` with the guest SDK's clock.
 *
 *   node --import tsx scripts/bench-load.ts load  <wasm> <cacheDir> <node> <input-json>
 *   node --import tsx scripts/bench-load.ts calls <wasm> <cacheDir> <node> <input-json> <warmup> <count>
 *   node --import tsx scripts/bench-load.ts floor <projectDir> <tmpDir> <node> <input-json> <warmup> <count>
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NodeExports } from '../host/src/world-versions/index.js';
import type { PluginDef } from '../guest-sdk/ts/src/index.js';
import type { HostImports, ManifestInfo, createNodeExports as CreateNodeExports } from '../guest-sdk/ts/src/runtime.js';
import type { CallHost, Plugin, PluginRunner } from '../host/src/index.js';
import type { PhaseResult } from '../host/src/runner.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');


export interface CallStats {
  count: number;
  p50Us: number;
  p90Us: number;
  meanUs: number;
}

/** Time `loadPlugin` alone (the host library is imported first), then the first call. */
async function measureLoad(wasm: string, cacheDir: string, node: string, input: unknown) {
  const { loadPlugin, silentLogSink } = await import('../host/src/index.js');
  const t0 = performance.now();
  const plugin = await loadPlugin(wasm, { cacheDir, log: silentLogSink });
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const result = await plugin.runNode(node, { input });
  const firstCallMs = performance.now() - t1;
  await plugin.close();
  return { loadMs, firstCallMs, transpileCached: plugin.source.transpileCached, result };
}

/** Warm up, then time `count` calls of `runNode` one after another; microseconds. */
async function timeCalls(plugin: Plugin, node: string, input: unknown, warmup: number, count: number) {
  const result = await plugin.runNode(node, { input });
  for (let i = 0; i < warmup; i++) await plugin.runNode(node, { input });
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await plugin.runNode(node, { input });
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  samples.sort();
  const at = (q: number): number => samples[Math.min(count - 1, Math.floor(q * count))] ?? NaN;
  const stats: CallStats = { count, p50Us: at(0.5), p90Us: at(0.9), meanUs: samples.reduce((a, b) => a + b, 0) / count };
  return { stats, result };
}

/** Per-call time of a wasm plugin, loaded through `loadPlugin`. */
async function measureCalls(wasm: string, cacheDir: string, node: string, input: unknown, warmup: number, count: number) {
  const { loadPlugin, silentLogSink } = await import('../host/src/index.js');
  const plugin = await loadPlugin(wasm, { cacheDir, log: silentLogSink });
  try {
    return await timeCalls(plugin, node, input, warmup, count);
  } finally {
    await plugin.close();
  }
}

/**
 * The example's `src/index.ts` and the guest SDK's runtime from source, bundled together so
 * they share one copy of the SDK (a `NodeError` thrown by the plugin is the runtime's class),
 * the same aliasing `pocket-wit build` does. Platform node: the host runs it, not a JS engine.
 */
async function importPlainJs(entry: string, tmpDir: string): Promise<{ plugin: PluginDef; createNodeExports: typeof CreateNodeExports }> {
  const sdk = join(ROOT, 'guest-sdk', 'ts', 'src');
  const outfile = join(tmpDir, `floor-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: `export { default as plugin } from ${JSON.stringify(entry)};\nexport { createNodeExports } from ${JSON.stringify(join(sdk, 'runtime.ts'))};\n`,
      resolveDir: ROOT,
      sourcefile: 'bench-floor-entry.js',
      loader: 'js',
    },
    bundle: true,
    outfile,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    alias: { 'pocket-wit/guest': join(sdk, 'index.ts') },
    nodePaths: [join(ROOT, 'node_modules')],
    logLevel: 'silent',
  });
  return (await import(pathToFileURL(outfile).href)) as { plugin: PluginDef; createNodeExports: typeof CreateNodeExports };
}

/**
 * A PluginRunner calling the plain-JS exports directly, like `inProcessRunner` minus the wasm:
 * the same host imports (`latestHost`) dispatch to the call in flight, and a returned
 * node-error is wrapped the way jco wraps it (`{ payload }`) before `toPluginError`.
 */
async function plainJsRunner(name: string, makeExports: (host: HostImports) => NodeExports): Promise<PluginRunner> {
  const { latestHost } = await import('../host/src/host-api.js');
  const { toPluginError } = await import('../host/src/runner.js');
  let current: CallHost | undefined;
  const shared: HostImports = latestHost(() => current);
  // createNodeExports installs a global Date backed by host.now(): keep the real clock here.
  const realNow = Date.now.bind(Date);
  const host: HostImports = { ...shared, now: () => BigInt(Math.trunc((current?.ctx.now ?? realNow)())) };
  const exports = makeExports(host);
  function invoke<T>(callHost: CallHost, fn: (node: NodeExports) => T): T {
    const previous = current;
    current = callHost;
    try {
      return fn(exports);
    } catch (thrown) {
      throw toPluginError(thrown instanceof Error ? thrown : { payload: thrown }, { plugin: name, node: callHost.ctx.node, phase: callHost.phase });
    } finally {
      current = previous;
    }
  }
  return {
    async metadata(callHost) {
      return invoke(callHost, (node) => node.metadata());
    },
    async call(phase, args, callHost) {
      return invoke(callHost, (node) => (node[phase] as (...a: string[]) => PhaseResult[typeof phase])(...args));
    },
    async close() {},
  };
}

/** The floor: the same plugin as plain JavaScript, run through the same `Plugin.runNode`. */
async function measureFloor(projectDir: string, tmpDir: string, node: string, input: unknown, warmup: number, count: number) {
  const { Plugin, silentLogSink, WIT_PACKAGE, WORLD_VERSION } = await import('../host/src/index.js');
  const { parseMetadata } = await import('../host/src/metadata.js');
  const { metadataHost } = await import('../host/src/host-api.js');
  const { readProject } = await import('../tools/build/project.js');
  const { manifestInfo: infoOf } = await import('../tools/build/bundle-ts.js');
  const project = readProject(projectDir);
  const m = project.manifest;
  // As `pocket-wit build` passes it (as JSON, where config's type is not checked).
  const manifestInfo = infoOf(project) as ManifestInfo;
  const { plugin: def, createNodeExports } = await importPlainJs(project.entry, tmpDir);
  const runner = await plainJsRunner(m.name, (host) => createNodeExports(def, host, manifestInfo) as NodeExports);
  const world = `${WIT_PACKAGE}@${WORLD_VERSION}`;
  const metadata = parseMetadata(await runner.metadata(metadataHost('plain-js', silentLogSink)), world, 'plain-js');
  const source = { source: 'plain-js', sha256: '', worldVersion: WORLD_VERSION, linkedVersion: WORLD_VERSION, engine: 'plain-js', transpileCached: false };
  const plugin = new Plugin(metadata, source, runner, silentLogSink);
  return timeCalls(plugin, node, input, warmup, count);
}

async function main(argv: string[]): Promise<unknown> {
  const [mode, path = '', dir = '', node = '', inputJson = 'null', warmup = '0', count = '0'] = argv;
  const input: unknown = JSON.parse(inputJson);
  switch (mode) {
    case 'load':
      return measureLoad(path, dir, node, input);
    case 'calls':
      return measureCalls(path, dir, node, input, Number(warmup), Number(count));
    case 'floor':
      return measureFloor(path, dir, node, input, Number(warmup), Number(count));
    default:
      throw new Error(`unknown mode "${String(mode)}" (use load, calls or floor)`);
  }
}

try {
  const out = await main(process.argv.slice(2));
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
} catch (err) {
  const e = err as Error & { code?: string };
  process.stderr.write(`bench-load: ${e.code ? `[${e.code}] ` : ''}${e.stack ?? String(err)}\n`);
  process.exit(1);
}
