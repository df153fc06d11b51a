/**
 * `pocket-wit flow <workflow.yaml>`: check and run a Pocket workflow whose nodes are plugins and
 * built-ins; one input, or a batch of JSONL inputs over worker threads.
 */
import type { CAC } from 'cac';
import { closeSync, createReadStream, existsSync, ftruncateSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import {
  builtinNodeTypes,
  Flow,
  NodeRegistry,
  PluginError,
  readWorkflow,
  runBatch,
  stderrLogSink,
  WorkflowRunError,
  type LogLevel,
  type PermissionsGrant,
  type ReloadEvent,
  type TraceStep,
} from '../../host/src/index.js';
import { describeGrant } from '../../host/src/sandbox/policy.js';
import { failureCodes, grantFromFlags, readJsonFlag, SilentFailure, UsageError, type GrantFlags } from '../cli-support.js';
import { findPlugins, pluginSearchPath } from '../plugin-search.js';
import { installMissing } from '../registry/install-missing.js';
import { npmConfig } from '../registry/npm-config.js';
import { closePlugins, loadPluginFiles } from '../workflow-plugins.js';
import { createStepReporter } from '../ui/steps.js';
import { progressBar, SpinnerProgress } from '../ui/terminal.js';
import { loadQueueModule } from '../queue-module.js';
import { BatchReportCollector } from '../report/batch-data.js';
import { writeBatchReport } from '../report/batch-report.js';
import { buildGraphModel } from '../report/graph-model.js';
import { writeRunReport, type RunOutcome } from '../report/run-report.js';

interface FlowOptions extends GrantFlags {
  input?: string;
  store?: string;
  plugins?: string | string[];
  check?: boolean;
  trace?: string;
  report?: string;
  batch?: string;
  out?: string;
  resume?: boolean;
  concurrency?: string | number;
  queue?: string;
  queueName?: string;
  queueCa?: string;
  stepLimit?: string | number;
  logLevel: string;
  json?: boolean;
  watch?: boolean;
  installMissing?: boolean;
  yes?: boolean;
  grantNewPermissions?: boolean;
  registry?: string;
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

function writeTrace(path: string | undefined, trace: TraceStep[]): void {
  if (path) writeFileSync(path, `${JSON.stringify(trace, null, 2)}\n`);
}

export function registerFlow(cli: CAC): void {
  cli
    .command('flow <workflow>', 'Check and run a Pocket workflow (YAML) with plugin and built-in nodes')
    .option('--input <json>', 'The workflow input: JSON text or @file.json')
    .option('--store <json>', 'Initial shared store: a JSON object or @file.json')
    .option('--plugins <dir>', 'A directory of plugin .wasm files and/or plugin projects (must exist); repeatable; searched first, before POCKET_PLUGIN_PATH, ./plugins and the installed plugins; the first plugin of a name found wins')
    .option('--check', 'Only check the workflow: every problem, with its location')
    .option('--install-missing', "Install from the npm registry the plugins the workflow's plugins: pins name that are not found (or update an installed one outside its range), with consent")
    .option('--yes', 'With --install-missing: consent without asking (not to new permissions of an update)')
    .option('--grant-new-permissions', 'With --install-missing: also consent to the new permissions an update asks for')
    .option('--registry <url>', 'With --install-missing: the registry (default: from .npmrc, else registry.npmjs.org)')
    .option('--trace <file>', "Write every step (node, phases, action, duration, sizes, retries, every phase call, the plugin's store and log calls) as JSON")
    .option('--report <file>', 'Write a self-contained HTML report: of the run (graph with the path taken, timeline of every phase, store before and after, the error), or with --batch of the batch (items/s, node latencies, failures by code)')
    .option('--batch <file>', 'Run once per line of a JSONL file (one JSON input per line)')
    .option('--out <file>', 'With --batch: where results go, as JSONL in input order, each written as soon as it and all before it are done')
    .option('--resume', 'With --batch: continue the --out file of an interrupted run (skip the inputs it records, run the rest, append)')
    .option('--concurrency <n>', 'With --batch: worker threads (default 1)')
    .option('--queue <url>', 'With --batch: run the items on workers (pocket-wit worker) through a queue on this Redis: redis://host:port[/db], rediss://… for TLS')
    .option('--queue-name <name>', 'With --queue: which queue on that Redis (default pocket-wit)')
    .option('--queue-ca <file>', 'With a rediss:// --queue: a PEM file of the CA that signed the server certificate')
    .option('--step-limit <n>', 'Stop a run after this many node visits (against endless cycles)', { default: 1000 })
    .option('--log-level <level>', 'Plugin log lines shown on stderr: debug | info | warn | error', { default: 'warn' })
    .option('--json', 'Print the result (or error) as JSON on stdout')
    .option('--verbose', "On a plugin error, also print the plugin's own stack (where its engine gives one)")
    .option('--timeout <duration>', "Per-call time limit for every plugin, e.g. 2s; only lowers each plugin's own")
    .option('--memory <size>', "Memory cap for every plugin, e.g. 32MB; only lowers each plugin's own")
    .option('--deny-fs', 'Grant no plugin any directory, whatever its permissions.filesystem asks')
    .option('--deny-net', 'Grant no plugin any network host, whatever its permissions.network asks')
    .option('--deny-env', 'Grant no plugin any environment variable, whatever its permissions.env asks')
    .option('--deny-storage', 'Grant no plugin any storage, whatever its permissions.storage asks')
    .option('--deny-all', 'All four: --deny-fs --deny-net --deny-env --deny-storage')
    .option('--watch', 'Hot reload: when a plugin file changes (rebuilt, reinstalled), later calls use the new version')
    .example('pocket-wit flow wf.yaml --plugins ./plugins --input \'{"id":"r1","text":"Great boots!"}\'')
    .example('pocket-wit flow wf.yaml --check')
    .example('pocket-wit flow wf.yaml --batch inputs.jsonl --out results.jsonl --concurrency 4')
    .action(async (workflowPath: string, opts: FlowOptions) => {
      if (!['debug', 'info', 'warn', 'error'].includes(opts.logLevel)) throw new UsageError('--log-level must be one of debug, info, warn, error');
      for (const flag of ['yes', 'grantNewPermissions', 'registry'] as const) {
        if (opts[flag] && !opts.installMissing) throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} goes with --install-missing`);
      }
      if (opts.batch && !opts.out) throw new UsageError('--batch needs --out <results.jsonl>');
      if (opts.out && !opts.batch) throw new UsageError('--out goes with --batch');
      if (opts.resume && !opts.batch) throw new UsageError('--resume goes with --batch and --out');
      if (opts.batch && opts.trace) throw new UsageError('--trace goes with a single run; a batch records each result in --out');
      if (opts.check && opts.report) throw new UsageError('--report goes with a run; --check only checks the workflow');
      if (opts.report && opts.trace && resolve(opts.trace) === resolve(opts.report)) throw new UsageError('--report needs a file of its own: it would overwrite the --trace file');
      if (opts.batch && opts.input !== undefined) throw new UsageError('--input and --batch exclude each other: the batch file holds the inputs');
      if (opts.report && opts.batch && [opts.out, opts.batch].some((f) => f && resolve(f) === resolve(opts.report!))) {
        throw new UsageError('--report needs a file of its own: it would overwrite the --batch or --out file');
      }
      if (opts.queue && !opts.batch) throw new UsageError('--queue goes with --batch: the queue\'s workers run the batch\'s items');
      if ((opts.queueName || opts.queueCa) && !opts.queue) throw new UsageError(`--${opts.queueName ? 'queue-name' : 'queue-ca'} goes with --queue`);
      if (opts.queue && opts.concurrency !== undefined) throw new UsageError('--concurrency sets the threads of a local batch; with --queue, each worker\'s own --concurrency does (pocket-wit worker --concurrency N)');
      if (opts.queue && opts.watch) throw new UsageError('--watch goes with a local batch: queue workers run the exact plugin bytes the batch was started with');
      const concurrency = positiveInt('concurrency', opts.concurrency, 1);
      if (opts.queue) (await loadQueueModule()).redisOptions({ url: opts.queue, ...(opts.queueCa ? { caFile: opts.queueCa } : {}) }); // a malformed URL before anything loads
      const stepLimit = positiveInt('step-limit', opts.stepLimit, 1000);
      const grant = grantFromFlags(opts);
      const input = readJsonFlag('input', opts.input);
      const storeValue = readJsonFlag('store', opts.store);
      if (storeValue !== undefined && (storeValue === null || typeof storeValue !== 'object' || Array.isArray(storeValue))) {
        throw new UsageError('--store must be a JSON object of key/value pairs');
      }
      if (!existsSync(workflowPath)) throw new PluginError('not-found', `no workflow file at ${workflowPath}`);
      readWorkflow(workflowPath); // format problems first, before building or loading any plugin
      // The batch file (and with --resume the out file) before any plugin is built or loaded too.
      const batch = opts.batch && !opts.check ? await readBatch(opts.batch, opts.out!, Boolean(opts.resume)) : undefined;
      if (batch && batch.start === batch.inputs.length && opts.resume) {
        return runBatchCommand(workflowPath, [], opts, concurrency, stepLimit, undefined, undefined, batch); // all recorded: nothing to load
      }

      const steps = createStepReporter();
      const log = stderrLogSink(opts.logLevel as LogLevel);
      const explicit = ([] as string[]).concat(opts.plugins ?? []);
      const dirs = pluginSearchPath(explicit);
      const say = (w: string): void => void process.stderr.write(`${w}\n`);
      let candidates = await findPlugins(dirs, steps, explicit, say);
      if (opts.installMissing) {
        // What the workflow's pins name and the search path lacks, from the registry, with consent.
        const config = npmConfig(opts.registry ? { registry: opts.registry } : {});
        const consent = { ...(opts.yes ? { yes: true } : {}), ...(opts.grantNewPermissions ? { grantNewPermissions: true } : {}) };
        if ((await installMissing(readWorkflow(workflowPath).def, candidates, config, consent, steps)) > 0) candidates = await findPlugins(dirs, steps, explicit);
      }
      const found = candidates.map((p) => p.file);
      const { plugins, files } = await loadPluginFiles(found, log, { watch: Boolean(opts.watch) && !opts.batch, ...(grant ? { grant } : {}), onReload: reportReload, say: (w) => void process.stderr.write(`${w}\n`) });
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

      if (opts.check || opts.batch) await closePlugins(plugins); // batch workers load their own
      if (opts.check) {
        const def = flow.source.def;
        if (opts.json) process.stdout.write(`${JSON.stringify({ valid: true, warnings: flow.warnings })}\n`);
        else process.stdout.write(`ok: ${workflowPath} is valid (${def.nodes.length} nodes, ${(def.connections ?? []).length} connections, ${flow.warnings.length} warnings)\n`);
        return;
      }
      if (batch) return runBatchCommand(workflowPath, files, opts, concurrency, stepLimit, storeValue as Record<string, unknown> | undefined, grant, batch);

      const store = new Map(Object.entries((storeValue as Record<string, unknown> | undefined) ?? {}));
      // --report: the store as it was before the run, and the page written however the run ends.
      const storeBefore = opts.report ? structuredClone(Object.fromEntries(store)) : {};
      const startedAt = new Date().toISOString();
      const report = (trace: TraceStep[], storeAfter: Record<string, unknown>, outcome: RunOutcome): void => {
        if (!opts.report) return;
        writeRunReport(opts.report, { graph: buildGraphModel(flow.source, registry), trace, storeBefore, storeAfter, outcome, startedAt });
        process.stderr.write(`report: ${opts.report}\n`);
      };
      try {
        const result = await flow.run({ input, store, log, stepLimit });
        writeTrace(opts.trace, result.trace);
        report(result.trace, result.store, { ok: true, output: result.output ?? null, action: result.action, path: result.path });
        const body = { output: result.output ?? null, store: result.store, path: result.path, action: result.action };
        if (opts.json) process.stdout.write(`${JSON.stringify(body)}\n`);
        else {
          process.stdout.write(`output: ${JSON.stringify(result.output ?? null, null, 2)}\naction: ${result.action}\npath: ${result.path.join(' → ')}\n`);
          process.stdout.write(`store: ${JSON.stringify(result.store, null, 2)}\n`);
        }
      } catch (err) {
        if (err instanceof WorkflowRunError) {
          writeTrace(opts.trace, err.trace);
          const error = { node: err.node, type: err.nodeType, phase: err.phase, ...(err.plugin ? { plugin: err.plugin } : {}), code: err.code, message: err.message };
          report(err.trace, err.store, { ok: false, error, path: err.path });
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
        await closePlugins(plugins);
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

/** The batch file's inputs and, with --resume, what the out file already records. */
interface BatchPlan {
  batchFile: string;
  out: string;
  /** One entry per non-blank line (`null` for a line that is not JSON). */
  inputs: unknown[];
  /** Input index → why its line is not JSON. */
  bad: Map<number, string>;
  /** Input index → its line number in the batch file. */
  lineOf: number[];
  /** Whether this is a --resume run. */
  resume: boolean;
  /** How many inputs (from the first) the out file already records; they are not run again. */
  start: number;
  /** How many of those recorded results are failures. */
  startFailed: number;
  /** How many of them were retried on a fresh instance (some phase call). */
  startRetried: number;
  /** With --resume: the out file's size without its torn last line (when it has one). */
  truncateTo?: number;
}

/** Read the batch file; with `resume`, check the out file against it. Writes nothing. */
async function readBatch(batchFile: string, out: string, resume: boolean): Promise<BatchPlan> {
  const inputs: unknown[] = [];
  const bad = new Map<number, string>();
  const lineOf: number[] = [];
  const lines = createInterface({ input: createReadStream(batchFile), crlfDelay: Infinity });
  let lineNo = 0;
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
    throw new PluginError('not-found', `cannot read batch file ${batchFile}: ${(err as Error).message}`);
  }
  const plan: BatchPlan = { batchFile, out, inputs, bad, lineOf, resume, start: 0, startFailed: 0, startRetried: 0 };
  if (!resume) {
    let size = 0;
    try {
      size = statSync(out).size;
    } catch {
      // no out file yet
    }
    if (size > 0) process.stderr.write(`note: ${out} already holds results; this run overwrites them (--resume would continue it instead)\n`);
    return plan;
  }
  const recorded = readRecorded(out);
  if (!recorded) {
    process.stderr.write(`resume: there is no ${out} yet; starting from the first input\n`);
    return plan;
  }
  const mismatch = (why: string): PluginError =>
    new PluginError('invalid-input', `--resume: ${out} was written for a different batch file than ${batchFile}: ${why}. Use a fresh --out, or drop --resume to start over (overwriting ${out})`);
  for (let i = 0; i < recorded.records.length; i++) {
    const r = recorded.records[i]!;
    if (i >= lineOf.length) {
      throw mismatch(`its result ${i + 1} is for line ${r.line}, but ${batchFile} has only ${lineOf.length} inputs${lineOf.length ? ` (the last on line ${lineOf.at(-1)})` : ''}`);
    }
    if (r.line !== lineOf[i]) throw mismatch(`its result ${i + 1} is for line ${r.line}, but input ${i + 1} of ${batchFile} is on line ${lineOf[i]}`);
    if (r.notJson !== bad.has(i)) {
      throw mismatch(r.notJson ? `it records line ${r.line} as not valid JSON, but in ${batchFile} that line is JSON` : `line ${r.line} of ${batchFile} is not valid JSON, but ${out} records a run of it`);
    }
  }
  plan.start = recorded.records.length;
  plan.startFailed = recorded.records.filter((r) => !r.ok).length;
  plan.startRetried = recorded.records.filter((r) => r.retried).length;
  if (recorded.torn > 0) {
    plan.truncateTo = recorded.size - recorded.torn;
    process.stderr.write(`resume: dropping the incomplete last line of ${out} (${recorded.torn} bytes, a result cut off mid-write)\n`);
  }
  if (plan.start === inputs.length) process.stderr.write(`resume: all ${inputs.length} inputs of ${batchFile} are already recorded in ${out}; nothing to run\n`);
  else process.stderr.write(`resume: ${plan.start} of ${inputs.length} inputs already recorded in ${out}; running the other ${inputs.length - plan.start}\n`);
  return plan;
}

interface RecordedResult {
  line: number;
  ok: boolean;
  /** An `invalid-input` failure for a line that was not JSON. */
  notJson: boolean;
  /** Some of its phase calls were retried on a fresh instance. */
  retried: boolean;
}

/** Every record starts so (JSON.stringify keeps the key order of the record literals below). */
const RECORD_START = '{"line":';

/**
 * The complete results of an out file, and the size of its torn last line: one that is cut off
 * (no newline, or not JSON) and starts like a record. Any other line that is not a result
 * record is an error. `undefined` when the file does not exist.
 */
function readRecorded(out: string): { records: RecordedResult[]; size: number; torn: number } | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PluginError('not-found', `--resume: cannot read ${out}: ${(err as Error).message}`);
  }
  const records: RecordedResult[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    const end = nl === -1 ? buf.length : nl;
    const text = buf.toString('utf8', pos, end);
    const record = parseRecord(text);
    const last = end >= buf.length - 1;
    if (!record || nl === -1) {
      // A write cut off by a kill leaves a prefix of one record, without its newline.
      if (last && (text.startsWith(RECORD_START) || RECORD_START.startsWith(text))) return { records, size: buf.length, torn: buf.length - pos };
      throw new PluginError('invalid-input', `--resume: ${out} is not a batch results file: its line ${records.length + 1} is not a result record. Use a fresh --out, or drop --resume to start over (overwriting ${out})`);
    }
    records.push(record);
    pos = nl + 1;
  }
  return { records, size: buf.length, torn: 0 };
}

function parseRecord(text: string): RecordedResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { line, ok, error, retried } = value as { line?: unknown; ok?: unknown; error?: { code?: unknown; message?: unknown }; retried?: unknown };
  if (!Number.isInteger(line) || (line as number) < 1 || typeof ok !== 'boolean') return undefined;
  const notJson = !ok && error?.code === 'invalid-input' && typeof error.message === 'string' && error.message.startsWith(`line ${line} is not valid JSON`);
  return { line: line as number, ok, notJson, retried: typeof retried === 'number' && retried > 0 };
}

/** Write all of `text` at the end of `fd` (appended or a fresh file), synchronously. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done);
}

/**
 * Run a batch: the inputs not yet recorded go through the workers, and each result is written
 * to --out as soon as it and every result before it are done. The writes are synchronous, so a
 * killed process loses at most the record being written (`--resume` drops that torn line).
 */
async function runBatchCommand(
  workflow: string,
  plugins: string[],
  opts: FlowOptions,
  concurrency: number,
  stepLimit: number,
  store: Record<string, unknown> | undefined,
  grant: PermissionsGrant | undefined,
  plan: BatchPlan,
): Promise<void> {
  const { inputs, bad, lineOf, start } = plan;
  const queueShown = opts.queue ? (await loadQueueModule()).redactUrl(opts.queue) : undefined;
  const bar = progressBar(process.stderr, () => new SpinnerProgress(process.stderr, 'batch', 'inputs'), { label: 'batch', unit: 'inputs' });
  let fd: number;
  try {
    // Appending (O_APPEND) after the torn line is cut off; without --resume a fresh file.
    fd = openSync(plan.out, plan.resume ? 'a' : 'w');
    if (plan.truncateTo !== undefined) ftruncateSync(fd, plan.truncateTo);
  } catch (err) {
    throw new PluginError('not-found', `cannot write ${plan.out}: ${(err as Error).message}`);
  }
  let open = true;
  let failed = plan.startFailed;
  let retried = plan.startRetried;
  // Failures of this run by their code, for the summary (a resumed run's earlier ones are not re-read).
  const failedCodes = new Map<string, number>();
  const started = performance.now();
  // --report: each item's summary as it is written (the out records stay as they are).
  const report = opts.report
    ? new BatchReportCollector({ workflow, batchFile: plan.batchFile, out: plan.out, concurrency, ...(queueShown ? { queue: queueShown } : {}), inputs: inputs.length, ...(plan.resume ? { resumed: start } : {}) })
    : undefined;
  try {
    if (start < inputs.length) {
      bar?.start(inputs.length, start, { failed });
      const good = inputs.slice(start).map((v, i) => (bad.has(start + i) ? null : v));
      const common = {
        workflow,
        plugins,
        stepLimit,
        ...(store ? { store } : {}),
        ...(grant ? { permissions: grant } : {}),
        onProgress: (done: number, _total: number, f: number) => bar?.update(start + done, { failed: plan.startFailed + f }),
        ...(report ? { timings: true } : {}),
      };
      const queue = opts.queue;
      const run: typeof runBatch = queue
        ? async (items, _options, emit) => {
            const { runQueuedBatch } = await loadQueueModule();
            return runQueuedBatch(
              items,
              {
                ...common,
                url: queue,
                ...(opts.queueName ? { name: opts.queueName } : {}),
                ...(opts.queueCa ? { caFile: opts.queueCa } : {}),
                batchFile: plan.batchFile,
                out: plan.out,
                resume: plan.resume,
                indexOffset: start,
                onNote: (line) => void process.stderr.write(`${line}\n`),
              },
              emit,
            );
          }
        : runBatch;
      try {
        await run(
          good,
          { ...common, concurrency, ...(opts.watch ? { watch: true, onReload: dedupe(reportReload) } : {}) },
          (r) => {
            if (!open) return;
            const index = start + r.index;
            const line = lineOf[index]!;
            const parseError = bad.get(index);
            // `retried`: phase calls retried on a fresh instance after their instance died.
            const retriedCalls = r.retried ? { retried: r.retried } : {};
            const record = parseError
              ? { line, ok: false, error: { code: 'invalid-input', message: parseError } }
              : r.ok
                ? { line, ok: true, output: r.output, action: r.action, path: r.path, ...retriedCalls }
                : { line, ok: false, error: r.error, ...retriedCalls };
            if (!record.ok) {
              failed++;
              const code = (record.error as { code?: unknown } | undefined)?.code;
              const key = typeof code === 'string' ? code : 'plugin-error';
              failedCodes.set(key, (failedCodes.get(key) ?? 0) + 1);
            }
            if (r.retried) retried++;
            writeAll(fd, `${JSON.stringify(record)}\n`);
            report?.add({ line, ok: record.ok, ...(record.ok ? {} : { error: record.error, input: inputs[index] }), ...(parseError ? { notJson: true } : {}), ...(r.timing ? { timing: r.timing } : {}) });
          },
        );
      } finally {
        bar?.stop();
      }
    }
  } finally {
    open = false;
    closeSync(fd);
  }
  const seconds = (performance.now() - started) / 1000;
  if (report && opts.report) {
    writeBatchReport(opts.report, report.finish());
    process.stderr.write(`report: ${opts.report}\n`);
  }
  const n = inputs.length;
  const where = queueShown ? { queue: queueShown } : { concurrency };
  const summary = { inputs: n, ok: n - failed, failed, retried, ...(plan.resume ? { resumed: start } : {}), out: plan.out, seconds: Number(seconds.toFixed(2)), ...where };
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const resumed = plan.resume ? ` (resumed: ${start} already recorded)` : '';
    const retriedNote = retried ? `, ${retried} retried on a fresh instance` : '';
    process.stdout.write(`batch: ${summary.ok} ok, ${failed} failed${retriedNote} of ${n} inputs${resumed} in ${seconds.toFixed(1)} s (${queueShown ? `queue ${queueShown}` : `concurrency ${concurrency}`}) → ${plan.out}\n`);
  }
  if (failed > 0) {
    const { code, breakdown } = failureCodes(failedCodes, failed);
    throw new PluginError(code, `${failed} of ${n} inputs failed${breakdown}; each failure is recorded in ${plan.out}`);
  }
}
