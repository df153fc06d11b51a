/**
 * What a batch report shows, gathered while a batch runs: `BatchReportCollector.add` takes each
 * item as it is written to `--out` (its line, result and timing summary), keeps aggregates only
 * (durations per node, completion times, counts per error code) and the details of the first
 * failures, and `finish` turns them into `BatchReportData`, ready to render. A 10,000-item
 * batch stays small this way: successes are never kept one by one.
 */
import type { ItemTiming } from '../../host/src/index.js';
import { countPerBucket, histogram, percentile, wantsLogScale, type Bin } from './stats.js';

/**
 * Failed items shown one by one, shared fairly among the error codes (a rare code keeps its rows
 * next to a frequent one); the rest are counted, and every failure is in `--out`.
 */
export const MAX_FAILED_ROWS = 1000;
/** Characters of an input shown for a failed item, and of its message. */
export const EXCERPT_CHARS = 120;
export const MESSAGE_CHARS = 400;
/** Bars of each node's latency histogram, and at most how many time buckets for items/s. */
export const HISTOGRAM_BINS = 30;
export const MAX_RATE_BUCKETS = 60;

/** One item as the batch command wrote it to `--out`. */
export interface BatchReportItem {
  /** Its line number in the batch file. */
  line: number;
  ok: boolean;
  error?: { code: string; message: string; node?: string; phase?: string };
  /** The item's input (kept, shortened, for failures only). */
  input?: unknown;
  /** The line was not JSON: it was not run, whatever the worker did with it. */
  notJson?: boolean;
  timing?: ItemTiming;
}

/** A failed item, shown as a row of the report (`#item-<line>`). */
export interface FailedRow {
  line: number;
  code: string;
  node?: string;
  phase?: string;
  message: string;
  excerpt: string;
}

export interface NodeLatency {
  node: string;
  visits: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Bars of equal ratios (`log`) when the durations span orders of magnitude, else of equal widths. */
  scale: 'linear' | 'log';
  bins: Bin[];
  retries: number;
  instanceRetries: number;
}

export interface FailureGroup {
  code: string;
  count: number;
  /** Lines of this group's items that have a row (the first ones, up to the cap). */
  lines: number[];
}

/** What the report says about the batch: its context, then how this run went. */
export interface BatchReportData extends BatchReportContext {
  /** Items run now, and how they ended. */
  items: number;
  ok: number;
  failed: number;
  /** Items with an exec retry or a phase call retried on a fresh instance. */
  retriedItems: number;
  execRetries: number;
  instanceRetries: number;
  /** Wall time of this run, from starting the workers to the last result. */
  seconds: number;
  itemsPerSecond: number;
  /**
   * Items finished per second in equal time buckets, from the first item's start (`offsetSeconds`
   * after the run began: the workers loading the plugins and the workflow) to the last result.
   */
  rate: { offsetSeconds: number; bucketSeconds: number; perSecond: number[] };
  nodes: NodeLatency[];
  groups: FailureGroup[];
  rows: FailedRow[];
  /** When generated (ISO). */
  generatedAt: string;
}

export interface BatchReportContext {
  workflow: string;
  batchFile: string;
  out: string;
  concurrency: number;
  /** With --queue: the queue's Redis (password hidden); the workers' own concurrency applies. */
  queue?: string;
  /** Inputs in the batch file. */
  inputs: number;
  /** With --resume: results already recorded before this run (not in this report). */
  resumed?: number;
}

/** `text` cut to `max` characters, with `…` when cut. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function excerptOf(item: BatchReportItem): string {
  if (item.notJson) return '(not JSON)';
  let text: string;
  try {
    text = JSON.stringify(item.input) ?? String(item.input);
  } catch {
    text = String(item.input);
  }
  return shorten(text, EXCERPT_CHARS);
}

/**
 * Split `total` among groups wanting `wants[i]` each: every group gets the same share, and what a
 * small group leaves goes to the others (water filling). The shares sum to at most `total`.
 */
export function fairShares(wants: readonly number[], total: number): number[] {
  const shares = wants.map(() => 0);
  let left = total;
  let open = wants.map((_, i) => i).filter((i) => wants[i]! > 0);
  while (left > 0 && open.length > 0) {
    const each = Math.max(1, Math.floor(left / open.length));
    for (const i of open) {
      const give = Math.min(each, wants[i]! - shares[i]!, left);
      shares[i]! += give;
      left -= give;
    }
    open = open.filter((i) => shares[i]! < wants[i]!);
  }
  return shares;
}

export class BatchReportCollector {
  readonly #context: BatchReportContext;
  readonly #startedAt: number;
  #items = 0;
  #failed = 0;
  #retriedItems = 0;
  #execRetries = 0;
  #instanceRetries = 0;
  readonly #finished: number[] = [];
  #firstStart = Infinity;
  readonly #nodes = new Map<string, { ms: number[]; retries: number; instanceRetries: number }>();
  readonly #codes = new Map<string, { count: number; rows: FailedRow[] }>();

  /** `startedAt`: epoch ms when the batch started (the items/s chart starts there). */
  constructor(context: BatchReportContext, startedAt: number = Date.now()) {
    this.#context = context;
    this.#startedAt = startedAt;
  }

  add(item: BatchReportItem): void {
    this.#items++;
    if (item.timing) {
      this.#finished.push(item.timing.finishedAt);
      this.#firstStart = Math.min(this.#firstStart, item.timing.finishedAt - item.timing.ms);
    }
    if (!item.notJson && item.timing) {
      let exec = 0;
      let instance = 0;
      for (const step of item.timing.steps) {
        let node = this.#nodes.get(step.node);
        if (!node) this.#nodes.set(step.node, (node = { ms: [], retries: 0, instanceRetries: 0 }));
        node.ms.push(step.ms);
        node.retries += step.retries;
        node.instanceRetries += step.instanceRetries;
        exec += step.retries;
        instance += step.instanceRetries;
      }
      this.#execRetries += exec;
      this.#instanceRetries += instance;
      if (exec + instance > 0) this.#retriedItems++;
    }
    if (item.ok) return;
    this.#failed++;
    const code = item.error?.code ?? 'plugin-error';
    let group = this.#codes.get(code);
    if (!group) this.#codes.set(code, (group = { count: 0, rows: [] }));
    group.count++;
    if (group.rows.length >= MAX_FAILED_ROWS) return; // no code can get more rows than this
    group.rows.push({
      line: item.line,
      code,
      ...(item.error?.node ? { node: item.error.node } : {}),
      ...(item.error?.phase ? { phase: item.error.phase } : {}),
      message: shorten(item.error?.message ?? '', MESSAGE_CHARS),
      excerpt: excerptOf(item),
    });
  }

  /** The report's data; `endedAt`: epoch ms when the batch ended. */
  finish(endedAt: number = Date.now()): BatchReportData {
    const seconds = Math.max(0, endedAt - this.#startedAt) / 1000;
    const chartStart = Number.isFinite(this.#firstStart) ? Math.max(this.#startedAt, this.#firstStart) : this.#startedAt;
    const lastFinish = this.#finished.reduce((a, b) => Math.max(a, b), chartStart);
    const spanMs = Math.max(1, lastFinish - chartStart);
    // About ten items per bucket on average, at most MAX_RATE_BUCKETS buckets.
    const buckets = Math.max(1, Math.min(MAX_RATE_BUCKETS, Math.ceil(this.#finished.length / 10)));
    const bucketSeconds = spanMs / buckets / 1000;
    const perSecond = countPerBucket(this.#finished, chartStart, chartStart + spanMs, buckets).map((n) => n / bucketSeconds);
    const nodes: NodeLatency[] = [...this.#nodes].map(([node, n]) => {
      const sorted = Float64Array.from(n.ms).sort();
      const list = Array.from(sorted);
      const log = wantsLogScale(list);
      return {
        node,
        visits: list.length,
        p50: percentile(list, 50),
        p90: percentile(list, 90),
        p99: percentile(list, 99),
        max: list[list.length - 1] ?? NaN,
        scale: log ? 'log' : 'linear',
        bins: histogram(list, HISTOGRAM_BINS, log),
        retries: n.retries,
        instanceRetries: n.instanceRetries,
      };
    });
    const quota = fairShares(
      [...this.#codes.values()].map((g) => g.rows.length),
      MAX_FAILED_ROWS,
    );
    const kept = [...this.#codes].map(([code, g], i) => ({ code, count: g.count, rows: g.rows.slice(0, quota[i]) }));
    const groups: FailureGroup[] = kept.map((g) => ({ code: g.code, count: g.count, lines: g.rows.map((r) => r.line) })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
    return {
      ...this.#context,
      items: this.#items,
      ok: this.#items - this.#failed,
      failed: this.#failed,
      retriedItems: this.#retriedItems,
      execRetries: this.#execRetries,
      instanceRetries: this.#instanceRetries,
      seconds,
      itemsPerSecond: seconds > 0 ? this.#items / seconds : 0,
      rate: { offsetSeconds: (chartStart - this.#startedAt) / 1000, bucketSeconds, perSecond: this.#finished.length ? perSecond : [] },
      nodes,
      groups,
      rows: kept.flatMap((g) => g.rows).sort((a, b) => a.line - b.line),
      generatedAt: new Date(endedAt).toISOString(),
    };
  }
}
