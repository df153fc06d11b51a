/**
 * `pocket-wit flow <workflow.yaml>`: check and run a Pocket workflow whose nodes are plugins and
 * built-ins; one input, or a batch of JSONL inputs over worker threads.
 */
import type { CAC } from 'cac';
import { createReadStream, createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { SingleBar } from 'cli-progress';
import {
  builtinNodeTypes,
  Flow,
  loadPlugin,
  NodeRegistry,
  PluginError,
  readWorkflow,
  runBatch,
  stderrLogSink,
  WorkflowRunError,
  grantForInstalled,
  WatchedPlugin,
  type LogLevel,
  type PermissionsGrant,
  type Plugin,
  type ReloadEvent,
  type TraceStep,
} from '../../host/src/index.js';
import { describeGrant } from '../../host/src/sandbox/policy.js';
import { grantFromFlags, readJsonFlag, SilentFailure, UsageError } from '../cli-support.js';
import { findPluginFiles, pluginSearchPath } from '../plugin-search.js';
import { createStepReporter } from '../ui/steps.js';

interface FlowOptions {
  input?: string;
  store?: string;
  plugins?: string | string[];
  check?: boolean;
  trace?: string;
  batch?: string;
  out?: string;
  concurrency?: string | number;
  stepLimit?: string | number;
  logLevel: string;
  json?: boolean;
  watch?: boolean;
  timeout?: string;
  memory?: string;
  denyFs?: boolean;
  denyNet?: boolean;
  denyEnv?: boolean;
  denyAll?: boolean;
}

function positiveInt(flag: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a whole number of at least 1 (got "${value}")`);
  return n;
}

function reportReload(event: ReloadEvent): void {
  if (event.kind === 'reloaded') process.stderr.write(`reloaded ${event.file}: ${event.from} → ${event.to}\n`);
  else process.stderr.write(`warning: ${event.message}\n`);
}

async function loadPlugins(
  files: string[],
  log: ReturnType<typeof stderrLogSink>,
  watchFiles: boolean,
  grant: PermissionsGrant | undefined,
): Promise<{ plugins: (Plugin | WatchedPlugin)[]; files: string[] }> {
  const load = async (file: string): Promise<Plugin> => {
    // An installed plugin: integrity-checked, and granted at most what was consented at install.
    const permissions = await grantForInstalled(file, grant);
    return loadPlugin(file, { log, ...(permissions ? { permissions } : {}) });
  };
  const plugins: (Plugin | WatchedPlugin)[] = [];
  const used: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const plugin = watchFiles ? await WatchedPlugin.open(file, { load, onEvent: reportReload }) : await load(file);
    const sha = 'current' in plugin ? plugin.current.source.sha256 : plugin.source.sha256;
    if (seen.has(sha)) {
      if (plugin instanceof WatchedPlugin) plugin.close();
      continue; // the same component found twice
    }
    seen.add(sha);
    plugins.push(plugin);
    used.push(file);
  }
  return { plugins, files: used };
}

async function closeAll(plugins: (Plugin | WatchedPlugin)[]): Promise<void> {
  for (const p of plugins) {
    if (p instanceof WatchedPlugin) p.close();
    else await p.close();
  }
}

function writeTrace(path: string | undefined, trace: TraceStep[]): void {
  if (path) writeFileSync(path, `${JSON.stringify(trace, null, 2)}\n`);
}

export function registerFlow(cli: CAC): void {
  cli
    .command('flow <workflow>', 'Check and run a Pocket workflow (YAML) with plugin and built-in nodes')
    .option('--input <json>', 'The workflow input: JSON text or @file.json')
    .option('--store <json>', 'Initial shared store: a JSON object or @file.json')
    .option('--plugins <dir>', 'A directory of plugin .wasm files and/or plugin projects; repeatable; searched first')
    .option('--check', 'Only check the workflow: every problem, with its location')
    .option('--trace <file>', 'Write every step (node, phases, action, duration, sizes, retries) as JSON')
    .option('--batch <file>', 'Run once per line of a JSONL file (one JSON input per line)')
    .option('--out <file>', 'With --batch: where results go, as JSONL in input order')
    .option('--concurrency <n>', 'With --batch: worker threads', { default: 1 })
    .option('--step-limit <n>', 'Stop a run after this many node visits (against endless cycles)', { default: 1000 })
    .option('--log-level <level>', 'Plugin log lines shown on stderr: debug | info | warn | error', { default: 'warn' })
    .option('--json', 'Print the result (or error) as JSON on stdout')
    .option('--timeout <duration>', "Per-call time limit for every plugin, e.g. 2s; only lowers each plugin's own")
    .option('--memory <size>', "Memory cap for every plugin, e.g. 32MB; only lowers each plugin's own")
    .option('--deny-fs', 'Grant no plugin any directory, whatever its permissions.filesystem asks')
    .option('--deny-net', 'Grant no plugin any network host, whatever its permissions.network asks')
    .option('--deny-env', 'Grant no plugin any environment variable, whatever its permissions.env asks')
    .option('--deny-all', 'All three: --deny-fs --deny-net --deny-env')
    .option('--watch', 'Hot reload: when a plugin file changes (rebuilt, reinstalled), later calls use the new version')
    .example('pocket-wit flow examples/workflows/review-pipeline.yaml --plugins examples --input \'{"id":"r1","text":"Great boots!"}\'')
    .action(async (workflowPath: string, opts: FlowOptions) => {
      if (!['debug', 'info', 'warn', 'error'].includes(opts.logLevel)) throw new UsageError('--log-level must be one of debug, info, warn, error');
      if (opts.batch && !opts.out) throw new UsageError('--batch needs --out <results.jsonl>');
      if (opts.out && !opts.batch) throw new UsageError('--out goes with --batch');
      if (opts.batch && opts.trace) throw new UsageError('--trace goes with a single run; a batch records each result in --out');
      if (opts.batch && opts.input !== undefined) throw new UsageError('--input and --batch exclude each other: the batch file holds the inputs');
      const concurrency = positiveInt('concurrency', opts.concurrency, 1);
      const stepLimit = positiveInt('step-limit', opts.stepLimit, 1000);
      const grant = grantFromFlags(opts);
      const input = readJsonFlag('input', opts.input);
      const storeValue = readJsonFlag('store', opts.store);
      if (storeValue !== undefined && (storeValue === null || typeof storeValue !== 'object' || Array.isArray(storeValue))) {
        throw new UsageError('--store must be a JSON object of key/value pairs');
      }
      if (!existsSync(workflowPath)) throw new PluginError('not-found', `no workflow file at ${workflowPath}`);
      readWorkflow(workflowPath); // format problems first, before building or loading any plugin

      const steps = createStepReporter();
      const log = stderrLogSink(opts.logLevel as LogLevel);
      const explicit = ([] as string[]).concat(opts.plugins ?? []);
      const dirs = pluginSearchPath(explicit);
      const found = await findPluginFiles(dirs, steps, explicit, (w) => process.stderr.write(`${w}\n`));
      const { plugins, files } = await loadPlugins(found, log, Boolean(opts.watch) && !opts.batch, grant);
      if (!opts.check) {
        // What each plugin may use beyond memory and timeout (a batch's workers load with the same grant).
        for (const p of plugins) {
          const plugin = 'current' in p ? p.current : p;
          const granted = plugin.permissions && describeGrant(plugin.permissions);
          if (granted) process.stderr.write(`grant ${plugin.name}: ${granted}\n`);
        }
      }
      const registry = new NodeRegistry(builtinNodeTypes());
      for (const plugin of plugins) registry.addPlugin(plugin);
      const flow = Flow.load(workflowPath, registry);
      for (const w of flow.formatWarnings()) process.stderr.write(`${w}\n`);

      if (opts.check || opts.batch) await closeAll(plugins); // batch workers load their own
      if (opts.check) {
        const def = flow.source.def;
        if (opts.json) process.stdout.write(`${JSON.stringify({ valid: true, warnings: flow.warnings })}\n`);
        else process.stdout.write(`ok: ${workflowPath} is valid (${def.nodes.length} nodes, ${(def.connections ?? []).length} connections, ${flow.warnings.length} warnings)\n`);
        return;
      }
      if (opts.batch) return runBatchCommand(workflowPath, files, opts, concurrency, stepLimit, storeValue as Record<string, unknown> | undefined, grant);

      const store = new Map(Object.entries((storeValue as Record<string, unknown> | undefined) ?? {}));
      try {
        const result = await flow.run({ input, store, log, stepLimit });
        writeTrace(opts.trace, result.trace);
        const body = { output: result.output ?? null, store: result.store, path: result.path, action: result.action };
        if (opts.json) process.stdout.write(`${JSON.stringify(body)}\n`);
        else {
          process.stdout.write(`output: ${JSON.stringify(result.output ?? null, null, 2)}\naction: ${result.action}\npath: ${result.path.join(' → ')}\n`);
          process.stdout.write(`store: ${JSON.stringify(result.store, null, 2)}\n`);
        }
      } catch (err) {
        if (err instanceof WorkflowRunError) {
          writeTrace(opts.trace, err.trace);
          if (!opts.json) process.stderr.write(`path: ${err.path.join(' → ')}\nstore at failure: ${JSON.stringify(err.store)}\n`);
          else {
            // The JSON error carries the store and path too: nothing is lost.
            process.stdout.write(`${JSON.stringify({ error: { ...err.toJSON(), store: err.store, path: err.path } })}\n`);
            process.stderr.write(`error[${err.code}]: ${err.message}\n`);
            throw new SilentFailure();
          }
        }
        throw err;
      } finally {
        await closeAll(plugins);
      }
    });
}

/** Every worker reports the same reload; say it once. */
function dedupe(report: (e: ReloadEvent) => void): (e: ReloadEvent) => void {
  const seen = new Set<string>();
  return (e) => {
    const key = JSON.stringify(e);
    if (seen.has(key)) return;
    seen.add(key);
    report(e);
  };
}

/** An error already reported on stdout and stderr; the CLI only sets the exit status. */

async function runBatchCommand(
  workflow: string,
  plugins: string[],
  opts: FlowOptions,
  concurrency: number,
  stepLimit: number,
  store: Record<string, unknown> | undefined,
  grant: PermissionsGrant | undefined,
): Promise<void> {
  const inputs: unknown[] = [];
  const bad = new Map<number, string>();
  const lines = createInterface({ input: createReadStream(opts.batch!), crlfDelay: Infinity });
  let lineNo = 0;
  const lineOf: number[] = [];
  try {
    for await (const line of lines) {
      lineNo++;
      if (!line.trim()) continue;
      try {
        inputs.push(JSON.parse(line));
      } catch (err) {
        bad.set(inputs.length, `line ${lineNo} is not valid JSON: ${(err as Error).message}`);
        inputs.push(null);
      }
      lineOf.push(lineNo);
    }
  } catch (err) {
    throw new PluginError('not-found', `cannot read batch file ${opts.batch}: ${(err as Error).message}`);
  }
  const out = createWriteStream(opts.out!);
  const bar = process.stderr.isTTY && !process.env.CI ? new SingleBar({ format: 'batch |{bar}| {value}/{total} inputs, {failed} failed, {eta_formatted} left', hideCursor: true }) : undefined;
  bar?.start(inputs.length, 0, { failed: 0 });
  const good = inputs.map((v, i) => (bad.has(i) ? null : v));
  const started = performance.now();
  let failed = 0;
  await runBatch(
    good,
    {
      workflow,
      plugins,
      concurrency,
      stepLimit,
      ...(store ? { store } : {}),
      ...(grant ? { permissions: grant } : {}),
      ...(opts.watch ? { watch: true, onReload: dedupe(reportReload) } : {}),
      onProgress: (done, _total, f) => bar?.update(done, { failed: f }),
    },
    async (r) => {
      const line = lineOf[r.index]!;
      const parseError = bad.get(r.index);
      const record = parseError
        ? { line, ok: false, error: { code: 'invalid-input', message: parseError } }
        : r.ok
          ? { line, ok: true, output: r.output, action: r.action, path: r.path }
          : { line, ok: false, error: r.error };
      if (!record.ok) failed++;
      if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
    },
  );
  bar?.stop();
  out.end();
  await once(out, 'finish');
  const seconds = (performance.now() - started) / 1000;
  const summary = { inputs: inputs.length, ok: inputs.length - failed, failed, out: opts.out, seconds: Number(seconds.toFixed(2)), concurrency };
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stdout.write(`batch: ${summary.ok} ok, ${failed} failed of ${inputs.length} inputs in ${seconds.toFixed(1)} s (concurrency ${concurrency}) → ${opts.out}\n`);
  if (failed > 0) throw new PluginError('plugin-error', `${failed} of ${inputs.length} inputs failed; each failure is recorded in ${opts.out}`);
}

