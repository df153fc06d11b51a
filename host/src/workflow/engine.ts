/**
 * Runs a validated workflow with Pocket's semantics: prep / exec / post per node, a node's
 * output is the next node's input, one shared store per run, routing by the action `post`
 * returns (empty means `default`), the run ends when an action has no successor. Exec is
 * retried as the node's `retry` says; a node's `timeout` bounds its whole visit; a step limit
 * stops endless cycles. A failure names the node, the phase, the plugin and the code, and
 * keeps the store and the trace.
 */
import { dirname, resolve } from 'node:path';
import { PluginError, type ErrorCode } from '../errors.js';
import { silentLogSink, type LogSink, type SharedStore } from '../host-api.js';
import { parseDuration } from '../manifest.js';
import { formatProblem, readWorkflow, WorkflowInvalidError, type WorkflowNodeDef, type WorkflowProblem, type WorkflowSource } from './definition.js';
import type { NodeRegistry, NodeRunContext, NodeType } from './node-types.js';
import { validateWorkflow } from './validate.js';
import { roundMs, StepRecorder, type TraceCall, type TraceSpan } from './trace.js';

export const DEFAULT_STEP_LIMIT = 1000;
const MAX_FLOW_DEPTH = 16;

/** One node visit, as written to `--trace`. */
export interface TraceStep {
  step: number;
  /** `flow/node` for nodes of nested flows. */
  node: string;
  type: string;
  plugin?: string;
  action?: string;
  startedAt: string;
  /** When the visit started, in ms from the run's start. */
  offsetMs: number;
  durationMs: number;
  phases: { prep?: number; exec?: number; post?: number };
  /** Exec attempts beyond the first. */
  retries: number;
  /**
   * Phase calls whose instance died (trap, out of memory) and that were retried once on a fresh
   * instance: the first attempt's failure each (absent when none).
   */
  instanceRetries?: { phase: string; code: ErrorCode; message: string }[];
  inputBytes: number;
  outputBytes?: number;
  error?: { phase: string; code: ErrorCode; message: string };
  /** Every phase call in order: prep, each exec attempt and the waits between them, post. */
  spans: TraceSpan[];
  /** The store calls and log records of the node's plugin, in order (absent when none). */
  calls?: TraceCall[];
  /** Host calls made beyond the ones recorded in `calls` (absent when none). */
  callsDropped?: number;
}

/** The state one run's visits share (nested flows and child nodes included). */
interface RunState {
  steps: number;
  /** The run's start (performance.now()): trace times are counted from it. */
  origin: number;
}

export interface RunOptions {
  input?: unknown;
  /** The shared store; a new empty one when omitted. */
  store?: SharedStore & { entries?(): IterableIterator<[string, unknown]> };
  log?: LogSink;
  now?: () => number;
  stepLimit?: number;
  /** Called after every node visit. */
  onStep?: (step: TraceStep) => void;
  signal?: AbortSignal;
  /** Polled cancellation, besides `signal`: plugins asking `cancelled()` see it (world 0.2.0+). */
  cancelled?: () => boolean;
}

export interface RunResult {
  output: unknown;
  /** The final store, as a plain object. */
  store: Record<string, unknown>;
  /** Names of the nodes visited, in order. */
  path: string[];
  /** The last action (the one with no successor). */
  action: string;
  trace: TraceStep[];
}

/** A run that stopped at a failing node. The store and trace up to that point are kept. */
export class WorkflowRunError extends PluginError {
  readonly node: string;
  /** The failing node's type. */
  readonly nodeType: string;
  readonly phase: string;
  readonly plugin: string | undefined;
  readonly store: Record<string, unknown>;
  readonly trace: TraceStep[];
  readonly path: string[];
  readonly #info: WorkflowRunErrorInit;
  constructor(info: WorkflowRunErrorInit) {
    const by = info.plugin ? `plugin ${info.plugin}` : 'built-in';
    super(info.cause.code, `node "${info.node}" (${info.type}, ${by}) failed in ${info.phase}: ${info.cause.message}`, {
      context: { node: info.node, phase: info.phase, ...(info.plugin ? { plugin: info.plugin } : {}) },
      details: { node: info.node, type: info.type, phase: info.phase, plugin: info.plugin ?? null, code: info.cause.code, path: info.path },
      cause: info.cause,
      ...(info.cause.attempts ? { attempts: info.cause.attempts } : {}),
      ...(info.cause.guestStack ? { guestStack: info.cause.guestStack } : {}),
    });
    this.node = info.node;
    this.nodeType = info.type;
    this.phase = info.phase;
    this.plugin = info.plugin;
    this.store = info.store;
    this.trace = info.trace;
    this.path = info.path;
    this.#info = info;
  }

  /** The same failure, seen from a flow that reached it through `prefix`. */
  under(prefix: string[]): WorkflowRunError {
    return new WorkflowRunError({ ...this.#info, path: [...prefix, ...this.path] });
  }
}

export interface WorkflowRunErrorInit {
  node: string;
  type: string;
  phase: string;
  plugin?: string;
  cause: PluginError;
  store: Record<string, unknown>;
  trace: TraceStep[];
  path: string[];
}

function toPluginErrorLoose(err: unknown): PluginError {
  if (err instanceof PluginError) return err;
  return new PluginError('plugin-error', err instanceof Error ? err.message : String(err), { cause: err });
}

function bytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value ?? null));
  } catch {
    return 0;
  }
}

function storeObject(store: RunOptions['store']): Record<string, unknown> {
  if (store && typeof store.entries === 'function') return Object.fromEntries(store.entries());
  return {};
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolveSleep();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolve `p`, or reject as soon as `signal` aborts. */
function raced<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((res, rej) => {
    const onAbort = (): void => rej(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), res(v)),
      (e) => (signal.removeEventListener('abort', onAbort), rej(e)),
    );
  });
}

/** A workflow checked against its node types, ready to run any number of times. */
export class Flow {
  readonly source: WorkflowSource;
  readonly registry: NodeRegistry;
  /** Warnings found while checking (e.g. unreachable nodes). */
  readonly warnings: WorkflowProblem[];
  readonly #nodes = new Map<string, { def: WorkflowNodeDef; type: NodeType }>();
  readonly #next = new Map<string, Map<string, string>>();
  readonly #subflows = new Map<string, Flow>();
  readonly #depth: number;

  constructor(source: WorkflowSource, registry: NodeRegistry, depth = 0) {
    const problems = validateWorkflow(source, registry);
    if (problems.some((p) => p.severity === 'error')) throw new WorkflowInvalidError(source.file, problems);
    this.source = source;
    this.registry = registry;
    this.warnings = problems;
    this.#depth = depth;
    for (const def of source.def.nodes) this.#nodes.set(def.name, { def, type: registry.get(def.type, def.plugin)! });
    for (const c of source.def.connections ?? []) {
      const routes = this.#next.get(c.from) ?? new Map<string, string>();
      routes.set(c.action || 'default', c.to);
      this.#next.set(c.from, routes);
    }
  }

  /** Read, check and prepare a workflow file. */
  static load(path: string, registry: NodeRegistry, depth = 0): Flow {
    return new Flow(readWorkflow(path), registry, depth);
  }

  get name(): string {
    return this.source.def.name;
  }

  /** The warnings, formatted with their locations. */
  formatWarnings(): string[] {
    return this.warnings.map((w) => formatProblem(this.source.file, w));
  }

  /** A nested flow file, relative to this one; loaded and checked once. */
  subflow(path: string): Flow {
    const full = resolve(dirname(this.source.file), path);
    let flow = this.#subflows.get(full);
    if (!flow) {
      if (this.#depth + 1 > MAX_FLOW_DEPTH) throw new PluginError('step-limit', `flows nested deeper than ${MAX_FLOW_DEPTH} levels (at ${full})`);
      flow = Flow.load(full, this.registry, this.#depth + 1);
      this.#subflows.set(full, flow);
    }
    return flow;
  }

  async run(options: RunOptions = {}): Promise<RunResult> {
    const store = options.store ?? new Map<string, unknown>();
    const trace: TraceStep[] = [];
    const state: RunState = { steps: 0, origin: performance.now() };
    const result = await this.#run(options.input, { ...options, store }, trace, state, '');
    return { ...result, store: storeObject(store), trace };
  }

  async #run(
    input: unknown,
    options: RunOptions & { store: NonNullable<RunOptions['store']> },
    trace: TraceStep[],
    state: RunState,
    prefix: string,
  ): Promise<{ output: unknown; path: string[]; action: string }> {
    const limit = options.stepLimit ?? DEFAULT_STEP_LIMIT;
    const path: string[] = [];
    let current: string | undefined = this.source.def.start;
    let value = input;
    let action = 'default';
    while (current !== undefined) {
      const entry: { def: WorkflowNodeDef; type: NodeType } = this.#nodes.get(current)!;
      const { def, type } = entry;
      const name = `${prefix}${def.name}`;
      if (state.steps >= limit) {
        const tail = path.slice(-6).join(' → ');
        const cause = new PluginError('step-limit', `the run took ${limit} steps without ending (last: ${tail} → ${def.name}); check the workflow for a cycle, or raise the step limit`);
        throw new WorkflowRunError({ node: name, type: def.type, phase: 'route', ...(type.plugin ? { plugin: type.plugin } : {}), cause, store: storeObject(options.store), trace, path });
      }
      state.steps++;
      path.push(name);
      const out = await this.#visit(name, def, type, value, options, trace, state, path);
      value = out.output;
      action = out.next || 'default';
      current = this.#next.get(def.name)?.get(action);
    }
    return { output: value, path, action };
  }

  async #visit(
    name: string,
    def: WorkflowNodeDef,
    type: NodeType,
    input: unknown,
    options: RunOptions & { store: NonNullable<RunOptions['store']> },
    trace: TraceStep[],
    state: RunState,
    path: string[],
  ): Promise<{ output: unknown; next: string }> {
    const started = performance.now();
    const rec = new StepRecorder(state.origin);
    const step: Omit<TraceStep, 'spans'> = {
      step: trace.length + 1,
      node: name,
      type: def.type,
      ...(type.plugin ? { plugin: type.plugin } : {}),
      startedAt: new Date().toISOString(),
      offsetMs: roundMs(started - state.origin),
      durationMs: 0,
      phases: {},
      retries: 0,
      inputBytes: bytes(input),
    };
    const controller = new AbortController();
    const timeoutMs = def.timeout ? parseDuration(def.timeout) : undefined;
    const timeoutError = (): PluginError => new PluginError('timeout', `node "${name}" took longer than its timeout of ${def.timeout}`);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(timeoutError()), timeoutMs);
    // A synchronous plugin call never lets the timer fire, so the deadline is also checked by
    // the clock after every phase and attempt.
    const deadline = timeoutMs === undefined ? Infinity : started + timeoutMs;
    const checkDeadline = (): void => {
      if (!controller.signal.aborted && performance.now() > deadline) controller.abort(timeoutError());
      if (controller.signal.aborted) throw controller.signal.reason;
    };
    // What a plugin's `cancelled()` answers: this node's deadline passed, or an outer one did.
    const outerCancelled = options.cancelled;
    const cancelled = (): boolean => {
      if (!controller.signal.aborted && performance.now() > deadline) controller.abort(timeoutError());
      return controller.signal.aborted || (outerCancelled?.() ?? false);
    };
    const onOuterAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const signal = controller.signal;
    const log = options.log ?? silentLogSink;
    const ctx: NodeRunContext = {
      config: def.config ?? {},
      store: options.store,
      node: name,
      log,
      signal,
      cancelled,
      baseDir: dirname(this.source.file),
      ...(options.now ? { now: options.now } : {}),
      onHostCall: (event) => rec.hostCall(event),
      onRetry: (phase, failure) => {
        (step.instanceRetries ??= []).push({ phase, code: failure.code, message: failure.message });
        rec.instanceDied(failure);
        log({ level: 'warn', message: `${phase} failed because its instance died (${failure.code}); retrying once on a fresh instance: ${failure.message}`, plugin: type.plugin ?? 'pocket', node: name });
      },
      // Children run under this node's signal: its timeout (or a cancelled run) stops them too.
      runChild: async (typeName, config, childInput, childName) => {
        const childType = this.registry.get(typeName);
        if (!childType) throw new PluginError('not-found', `unknown node type "${typeName}"`);
        return this.#visit(`${name}/${childName}`, { name: childName, type: typeName, config }, childType, childInput, { ...options, signal, cancelled }, trace, state, path);
      },
      runFlow: async (flowPath, flowInput) => this.subflow(flowPath).#run(flowInput, { ...options, signal, cancelled }, trace, state, `${name}/`),
    };

    let phase = 'prep';
    try {
      const t0 = performance.now();
      const prep = await rec.span('prep', () => raced(type.prep(input, ctx), signal));
      step.phases.prep = roundMs(performance.now() - t0);
      checkDeadline();
      phase = 'exec';
      const t1 = performance.now();
      const exec = await this.#execWithRetry(def, type, prep, ctx, step, rec, checkDeadline);
      step.phases.exec = roundMs(performance.now() - t1);
      phase = 'post';
      const t2 = performance.now();
      const out = await rec.span('post', () => raced(type.post(input, prep, exec, ctx), signal));
      step.phases.post = roundMs(performance.now() - t2);
      checkDeadline();
      step.action = out.next || 'default';
      step.outputBytes = bytes(out.output);
      return out;
    } catch (err) {
      // From a nested flow or a child node: already located. A nested flow's path does not yet
      // start with the way here, so it is prefixed with it.
      if (err instanceof WorkflowRunError) throw path.every((p, i) => err.path[i] === p) ? err : err.under(path);
      const cause = toPluginErrorLoose(signal.aborted && signal.reason instanceof PluginError ? signal.reason : err);
      step.error = { phase, code: cause.code, message: cause.message };
      throw new WorkflowRunError({ node: name, type: def.type, phase, ...(type.plugin ? { plugin: type.plugin } : {}), cause, store: storeObject(options.store), trace, path: [...path] });
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onOuterAbort);
      step.durationMs = roundMs(performance.now() - started);
      const done: TraceStep = { ...step, ...rec.end() };
      trace.push(done);
      options.onStep?.(done);
    }
  }

  async #execWithRetry(
    def: WorkflowNodeDef,
    type: NodeType,
    prep: unknown,
    ctx: NodeRunContext,
    step: Omit<TraceStep, 'spans'>,
    rec: StepRecorder,
    checkDeadline: () => void,
  ): Promise<unknown> {
    const retry = def.retry;
    const attempts = retry?.max_attempts ?? 1;
    let delay = retry?.delay ? parseDuration(retry.delay) : 0;
    const maxDelay = retry?.max_delay ? parseDuration(retry.max_delay) : Infinity;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await rec.span('exec', () => raced(type.exec(prep, ctx), ctx.signal), attempt);
        checkDeadline();
        return result;
      } catch (err) {
        checkDeadline();
        if (attempt >= attempts || ctx.signal.aborted) throw err;
        step.retries++;
        ctx.log({ level: 'warn', message: `exec failed (attempt ${attempt} of ${attempts}), retrying in ${Math.round(Math.min(delay, maxDelay))} ms: ${(err as Error).message}`, plugin: type.plugin ?? 'pocket', node: ctx.node });
        await rec.span('wait', () => sleep(Math.min(delay, maxDelay), ctx.signal), attempt);
        delay = delay * (retry?.multiplier ?? 1);
      }
    }
  }
}
