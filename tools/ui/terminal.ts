/**
 * Whether progress may be redrawn in place (spinners, bars), and the plain, bounded progress used
 * when it may not. Redrawing with cursor-up/clear-line codes needs a real width: ora divides by
 * `columns`, so a terminal reporting 0 columns (a pty without a size under `script`, some CI log
 * capturers, serial consoles) made it clear an unbounded number of lines (issue #14).
 */
import ora, { type Ora } from 'ora';

/** Narrower than this, a terminal's width is not believed (0, unset and NaN never are). */
export const MIN_COLUMNS = 20;

/** What of a stream decides: a TTY and its width. */
export interface TerminalLike {
  isTTY?: boolean;
  columns?: number;
}

/**
 * Redraw progress on `stream` only when it is a TTY with a sane width (at least MIN_COLUMNS), `CI`
 * is not set, and `TERM` is not `dumb` (`TERM=dumb` is the way to ask for plain lines on a
 * terminal). Otherwise progress is plain lines.
 */
export function canRedraw(stream: TerminalLike = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!stream.isTTY) return false;
  const columns = stream.columns;
  if (typeof columns !== 'number' || !Number.isFinite(columns) || columns < MIN_COLUMNS) return false;
  if (env.CI) return false;
  if (env.TERM === 'dumb') return false;
  return true;
}

/** A progress bar as commands use it: started with a total, updated, stopped. */
export interface ProgressBar {
  start(total: number, value: number, payload?: Record<string, number>): void;
  update(value: number, payload?: Record<string, number>): void;
  stop(): void;
}

/** Plain progress prints at most this many lines, one each time another tenth is done. */
export const PLAIN_PROGRESS_STEPS = 10;

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Progress as plain lines, `batch: 30/300 inputs (10%), 0 failed, 1.2 s`: one line each time
 * another tenth of the total is done, so at most PLAIN_PROGRESS_STEPS lines however many updates.
 */
export class LineProgress implements ProgressBar {
  private total = 0;
  private printed = 0; // tenths already reported
  private started = 0;
  private payload: Record<string, number> = {};

  constructor(
    private readonly stream: { write(chunk: string): unknown },
    private readonly label: string,
    private readonly unit: string,
  ) {}

  start(total: number, value: number, payload: Record<string, number> = {}): void {
    this.total = total;
    this.printed = 0;
    this.started = performance.now();
    this.payload = { ...payload };
    this.update(value);
  }

  update(value: number, payload: Record<string, number> = {}): void {
    Object.assign(this.payload, payload);
    if (this.total <= 0) return;
    const tenths = Math.min(PLAIN_PROGRESS_STEPS, Math.floor((value * PLAIN_PROGRESS_STEPS) / this.total));
    if (tenths <= this.printed) return;
    this.printed = tenths;
    const extra = Object.entries(this.payload).map(([key, n]) => `, ${n} ${key}`).join('');
    const percent = Math.floor((Math.min(value, this.total) * 100) / this.total);
    this.stream.write(`${this.label}: ${value}/${this.total} ${this.unit} (${percent}%)${extra}, ${seconds(performance.now() - this.started)}\n`);
  }

  stop(): void {}
}

/** Cells of the drawn bar. */
const BAR_CELLS = 20;

/**
 * A bar redrawn in place, as the text of an ora spinner (ora redraws at most once a frame and
 * keeps the cursor hidden meanwhile): `batch |██████░░░░| 30/300 inputs, 0 failed, 12 s left`.
 */
export class SpinnerProgress implements ProgressBar {
  private spinner: Ora | undefined;
  private total = 0;
  private first = 0;
  private started = 0;
  private payload: Record<string, number> = {};

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label: string,
    private readonly unit: string,
  ) {}

  start(total: number, value: number, payload: Record<string, number> = {}): void {
    this.total = total;
    this.first = value;
    this.started = performance.now();
    this.payload = { ...payload };
    this.spinner = ora({ text: this.text(value), stream: this.stream }).start();
  }

  update(value: number, payload: Record<string, number> = {}): void {
    Object.assign(this.payload, payload);
    if (this.spinner) this.spinner.text = this.text(value);
  }

  stop(): void {
    this.spinner?.stop();
    this.spinner = undefined;
  }

  private text(value: number): string {
    const done = this.total > 0 ? Math.min(1, value / this.total) : 1;
    const filled = Math.round(done * BAR_CELLS);
    const extra = Object.entries(this.payload).map(([key, n]) => `, ${n} ${key}`).join('');
    const rate = (value - this.first) / (performance.now() - this.started); // per ms, this run
    const left = value > this.first && value < this.total ? `, ${seconds((this.total - value) / rate)} left` : '';
    return `${this.label} |${'█'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)}| ${value}/${this.total} ${this.unit}${extra}${left}`;
  }
}

/**
 * The progress of a long command on `stream`: `draw()` (a redrawing bar, e.g. SpinnerProgress)
 * when the stream can redraw; plain LineProgress lines on a terminal that cannot (0
 * columns, `TERM=dumb`, `CI`); nothing when the stream is not a terminal (logs and pipes get the
 * command's own summary).
 */
export function progressBar(stream: NodeJS.WriteStream, draw: () => ProgressBar, plain: { label: string; unit: string }): ProgressBar | undefined {
  if (canRedraw(stream)) return draw();
  if (stream.isTTY) return new LineProgress(stream, plain.label, plain.unit);
  return undefined;
}
