/**
 * Stage 5: the typed plugin. Wraps a runner with the node lifecycle in JSON values:
 * `runNode(type, { input, config, store })` runs prep, exec and post and returns
 * `{ output, next }`; each phase is also callable on its own (the workflow engine retries exec).
 */
import { DEFAULT_CALL_LIMITS, type CallLimits } from './call-limits.js';
import { isPluginError, PluginError } from './errors.js';
import { CallHost, stderrLogSink, type CallContext, type LogSink, type SharedStore } from './host-api.js';
import type { NodeDefinition, PluginMetadata } from './metadata.js';
import { NodeSchemas } from './node-schemas.js';
import type { Phase, PhaseArgs, PhaseResult, PluginRunner, RunnerStats } from './runner.js';
import type { SandboxPolicy } from './sandbox/policy.js';
import type { DirGrant } from './sandbox/wasi/fs.js';

/** What a loaded plugin may do: its manifest's permissions narrowed by the host's grant. */
export interface EffectivePermissions {
  memoryBytes: number;
  timeoutMs: number;
  /** Variable names it may read (only those set on the host reach it). */
  env: string[];
  /** Directories: where the guest sees each, the host folder, and whether it may write. */
  filesystem: DirGrant[];
  network: string[];
  /** Storage: the buckets it may open, its quota, and where the data lives (`sqlite`/`redis` and a path or address). */
  storage?: { buckets: string[]; quotaBytes: number; backend: string; location: string };
  maxInputBytes: number;
  maxOutputBytes: number;
  /** The caps on each call's action name, error, logs, store writes and HTTP bodies. */
  limits: CallLimits;
}

export interface NodeCallOptions {
  /** The node's config (a JSON object); `{}` when omitted. */
  config?: Record<string, unknown>;
  /** The workflow's shared store; a fresh empty Map when omitted. */
  store?: SharedStore;
  /** Where this call's log lines go; the plugin's default sink when omitted. */
  log?: LogSink;
  /** The clock the plugin sees (ms since the epoch); the real time when omitted. */
  now?: () => number;
  /**
   * What the plugin's `cancelled()` answers (world 0.2.0+): true once this returns true. The
   * workflow engine passes its node deadline and run cancellation here.
   */
  cancelled?: () => boolean;
  /**
   * Stops the call in flight when aborted (the sandbox terminates its worker). The workflow
   * engine passes the node's timeout and the run's cancellation here.
   */
  signal?: AbortSignal;
  /**
   * Called when a phase call failed because its instance died (`trap`, `memory-limit`: a trap, an
   * out-of-memory, a Go fatal error) and is about to be retried once on a fresh instance; gets the
   * phase and the first attempt's error. The workflow engine records it in the step's trace.
   */
  onRetry?: (phase: Phase, failure: PluginError) => void;
  /** Told of every store call and log record the plugin makes (key or level only); see `CallContext`. */
  onHostCall?: CallContext['onHostCall'];
}

/**
 * Whether a failure means the instance died rather than the plugin answered: a trap or running out
 * of memory (the instance is discarded). A timeout is not retried (it already took the call's whole
 * time), nor is anything the plugin returned.
 */
export function instanceDied(err: unknown): err is PluginError {
  return isPluginError(err) && (err.code === 'trap' || err.code === 'memory-limit');
}

export interface RunNodeOptions extends NodeCallOptions {
  /** The node's input (any JSON value). */
  input?: unknown;
}

/**
 * A node's result. `TOutput` is what the caller says the output is (`runNode<TOutput>`); the host
 * checks only that it is JSON, so it is an assertion about the plugin, not a run-time check.
 */
export interface NodeResult<TOutput = unknown> {
  output: TOutput;
  /** The action picking the next node; `default` when the plugin returned none. */
  next: string;
}

/** Facts about the component a plugin was loaded from. */
export interface PluginSource {
  source: string;
  sha256: string;
  /** World version it targets, e.g. `0.1.0`. */
  worldVersion: string;
  /**
   * The version the host runs it as: `worldVersion` when this host supports it, else the newest
   * supported version of the same semver track (a plugin of `0.2.7` on a host of 0.2.1: `0.2.1`).
   */
  linkedVersion: string;
  /** Build engine recorded by `pocket-wit build`, if any. */
  engine?: string;
  /** The actions its manifest declares per node type (besides `default`), if it declares any. */
  actions?: Record<string, string[]>;
  /** True when the transpiled form came from the disk cache. */
  transpileCached: boolean;
}

function toJson(value: unknown, what: string, ctx: { plugin: string; node: string }): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value ?? null);
  } catch (cause) {
    throw new PluginError('invalid-input', `${what} for ${ctx.plugin}/${ctx.node} is not JSON-serializable: ${(cause as Error).message}`);
  }
  return text ?? 'null';
}

function fromJson(text: string, what: string, ctx: { plugin: string; node: string; phase: string }): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PluginError('plugin-error', `${ctx.plugin}/${ctx.node} returned invalid JSON as its ${what}`, { context: ctx });
  }
}

export class Plugin {
  readonly metadata: PluginMetadata;
  readonly source: PluginSource;
  readonly #runner: PluginRunner;
  readonly #log: LogSink;
  readonly #schemas: NodeSchemas;
  /** The caps every phase call's `CallHost` enforces (the defaults for a custom runner's plugin). */
  readonly #limits: CallLimits;
  /** The limits and capabilities this plugin runs with (undefined for a custom runner's plugin). */
  readonly permissions: EffectivePermissions | undefined;
  /** Whether a call whose instance died is retried once on a fresh one. */
  readonly #retryCrashed: boolean;
  #closed = false;

  constructor(
    metadata: PluginMetadata,
    source: PluginSource,
    runner: PluginRunner,
    log: LogSink = stderrLogSink(),
    policy?: SandboxPolicy,
    options: { retryCrashed?: boolean } = {},
  ) {
    this.#retryCrashed = options.retryCrashed ?? true;
    this.metadata = metadata;
    this.permissions = policy && {
      memoryBytes: policy.memoryBytes,
      timeoutMs: policy.timeoutMs,
      env: [...policy.envNames],
      filesystem: policy.dirs.map((d) => ({ guest: d.guest, host: d.host, writable: d.writable })),
      network: [...policy.network],
      ...(policy.storage
        ? { storage: { buckets: [...policy.storage.buckets], quotaBytes: policy.storage.quotaBytes, backend: policy.storage.backend.kind, location: policy.storage.backend.location } }
        : {}),
      maxInputBytes: policy.maxInputBytes,
      maxOutputBytes: policy.maxOutputBytes,
      limits: { ...policy.callLimits },
    };
    this.#limits = policy?.callLimits ?? DEFAULT_CALL_LIMITS;
    this.source = source;
    this.#runner = runner;
    this.#log = log;
    this.#schemas = new NodeSchemas(metadata.name, metadata.nodes);
  }

  get name(): string {
    return this.metadata.name;
  }

  /** The node types this plugin offers. */
  get nodeTypes(): string[] {
    return this.metadata.nodes.map((n) => n.type);
  }

  /** The definition of one node type, or undefined. */
  node(type: string): NodeDefinition | undefined {
    return this.metadata.nodes.find((n) => n.type === type);
  }

  /** The call's context, and its config checked against the node's schema (defaults applied). */
  #context(type: string, options: NodeCallOptions): { ctx: CallContext; config: string } {
    if (this.#closed) throw new PluginError('plugin-error', `plugin ${this.name} is closed`);
    if (!this.node(type)) {
      throw new PluginError('not-found', `plugin ${this.name} has no node type "${type}" (it offers: ${this.nodeTypes.join(', ') || 'none'})`, {
        context: { plugin: this.name, node: type },
      });
    }
    const ctx: CallContext = { plugin: this.name, node: type, store: options.store ?? new Map(), log: options.log ?? this.#log };
    if (options.now) ctx.now = options.now;
    if (options.cancelled) ctx.cancelled = options.cancelled;
    if (options.signal) ctx.signal = options.signal;
    if (options.onHostCall) ctx.onHostCall = options.onHostCall;
    const config = toJson(this.#schemas.check(type, 'config', options.config ?? {}), 'config', { plugin: this.name, node: type });
    return { ctx, config };
  }

  /** The node's input as JSON text, checked against its schema (defaults applied). */
  #input(type: string, input: unknown): string {
    return toJson(this.#schemas.check(type, 'input', input ?? null), 'input', { plugin: this.name, node: type });
  }

  /**
   * One phase call; the host answers its host calls and enforces their rules. A call whose
   * instance died (see `instanceDied`) is retried once on a fresh instance (the runner replaced
   * the dead one); the failed attempt's store writes were never applied. If it fails again, the
   * error carries both attempts.
   */
  async #call<P extends Phase>(phase: P, args: PhaseArgs[P], ctx: CallContext, onRetry?: NodeCallOptions['onRetry']): Promise<PhaseResult[P]> {
    try {
      return await this.#callOnce(phase, args, ctx);
    } catch (first) {
      if (!this.#retryCrashed || !instanceDied(first) || this.#closed || ctx.signal?.aborted || ctx.cancelled?.()) throw first;
      onRetry?.(phase, first);
      try {
        return await this.#callOnce(phase, args, ctx);
      } catch (second) {
        if (!isPluginError(second)) throw second;
        const attempts = [...(first.attempts ?? [{ code: first.code, message: first.message }]), { code: second.code, message: second.message }];
        throw new PluginError(second.code, second.message, { context: second.context, details: second.details, cause: second, attempts, ...(second.guestStack ? { guestStack: second.guestStack } : {}) });
      }
    }
  }

  #callOnce<P extends Phase>(phase: P, args: PhaseArgs[P], ctx: CallContext): Promise<PhaseResult[P]> {
    const host = new CallHost(ctx, phase, this.#limits);
    return host.finish(this.#runner.call(phase, args, host));
  }

  /** Run `prep` alone; returns its result. */
  async prep(type: string, input: unknown, options: NodeCallOptions = {}): Promise<unknown> {
    const { ctx, config } = this.#context(type, options);
    const raw = await this.#call('prep', [type, config, this.#input(type, input)], ctx, options.onRetry);
    return fromJson(raw, 'prep result', { plugin: this.name, node: type, phase: 'prep' });
  }

  /** Run `exec` alone on a prep result. */
  async exec(type: string, prepResult: unknown, options: NodeCallOptions = {}): Promise<unknown> {
    const { ctx, config } = this.#context(type, options);
    const raw = await this.#call('exec', [type, config, toJson(prepResult, 'prep result', { plugin: this.name, node: type })], ctx, options.onRetry);
    return fromJson(raw, 'exec result', { plugin: this.name, node: type, phase: 'exec' });
  }

  /** Run `post` alone; returns the output (typed `TOutput`, unchecked: see {@link NodeResult}) and the next action. */
  async post<TOutput = unknown>(type: string, input: unknown, prepResult: unknown, execResult: unknown, options: NodeCallOptions = {}): Promise<NodeResult<TOutput>> {
    const { ctx, config } = this.#context(type, options);
    const at = { plugin: this.name, node: type };
    const raw = await this.#call('post', [type, config, this.#input(type, input), toJson(prepResult, 'prep result', at), toJson(execResult, 'exec result', at)], ctx, options.onRetry);
    return { output: fromJson(raw.output, 'output', { ...at, phase: 'post' }) as TOutput, next: raw.next || 'default' };
  }

  /**
   * Run a node's whole lifecycle: prep, exec, post, with one store. Config and input are checked
   * and encoded once for the three phases, and each phase's result goes to the next as the JSON
   * text the plugin returned (checked to be JSON, not decoded and encoded again).
   *
   * `TOutput` types the output (`runNode<{ words: number }>(…)`, or with the node's typebox
   * schema, `runNode<Static<typeof Output>>(…)`); the host does not check it against a schema.
   */
  async runNode<TOutput = unknown>(type: string, options: RunNodeOptions = {}): Promise<NodeResult<TOutput>> {
    const { ctx, config } = this.#context(type, { ...options, store: options.store ?? new Map() });
    const input = this.#input(type, options.input);
    const at = { plugin: this.name, node: type };
    const prepText = await this.#call('prep', [type, config, input], ctx, options.onRetry);
    fromJson(prepText, 'prep result', { ...at, phase: 'prep' });
    const execText = await this.#call('exec', [type, config, prepText], ctx, options.onRetry);
    fromJson(execText, 'exec result', { ...at, phase: 'exec' });
    const raw = await this.#call('post', [type, config, input, prepText, execText], ctx, options.onRetry);
    return { output: fromJson(raw.output, 'output', { ...at, phase: 'post' }) as TOutput, next: raw.next || 'default' };
  }

  /**
   * What the plugin's live instances hold now: how many, and their linear memory together (as of
   * the end of each one's last call). Undefined for a custom runner that does not say. Wasm memory
   * only grows, so a long-running host can watch it for leaks (`npm run bench:soak` does).
   */
  stats(): RunnerStats | undefined {
    return this.#runner.stats?.();
  }

  /** Release the plugin's instances. Further calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#runner.close();
  }
}
