/**
 * A plugin's stdout or stderr as log records, the same in every sandbox worker (`plugin-worker.ts`
 * for both streams, `command-worker.ts` for a Go plugin's stderr): split into lines, at most
 * `linesPerCall` lines per call and `lineMax` characters per line, the rest dropped and said once
 * in a warning at the end of the call.
 *
 * Memory and time are linear in what the plugin writes and bounded per stream: a line longer than
 * `lineMax` keeps only its first `lineMax` characters (the rest is counted, not kept), so a plugin
 * that writes megabytes without a newline costs no more than a short line.
 */

/** A log record as the workers make them (the host adds plugin and node). */
export interface StdioRecord {
  level: 'info' | 'warn';
  message: string;
  fields: { stream: 'stdout' | 'stderr' };
}

export interface StdioCaps {
  /** Lines logged per call; the rest are dropped (one warning says how many). Default 200. */
  linesPerCall?: number;
  /** Characters kept per line; the rest are dropped (the record says how many). Default 2,000. */
  lineMax?: number;
}

export const STDIO_LINES_PER_CALL = 200;
export const STDIO_LINE_MAX = 2000;

export class StdioCapture {
  /** The unfinished line, at most `lineMax` characters of it. */
  #partial = '';
  /** Characters of the unfinished line beyond `lineMax`, dropped. */
  #over = 0;
  #lines = 0;
  #dropped = 0;
  readonly #decoder = new TextDecoder();
  readonly #linesPerCall: number;
  readonly #lineMax: number;

  constructor(
    readonly stream: 'stdout' | 'stderr',
    readonly sink: (record: StdioRecord) => void,
    caps: StdioCaps = {},
  ) {
    this.#linesPerCall = caps.linesPerCall ?? STDIO_LINES_PER_CALL;
    this.#lineMax = caps.lineMax ?? STDIO_LINE_MAX;
  }

  write(bytes: Uint8Array): void {
    const text = this.#decoder.decode(bytes, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.#append(text, start, nl);
      this.#line();
      start = nl + 1;
    }
    this.#append(text, start, text.length);
  }

  /** Add `text[from, to)` to the unfinished line, keeping at most `lineMax` characters. */
  #append(text: string, from: number, to: number): void {
    const room = this.#lineMax - this.#partial.length;
    const take = Math.max(0, Math.min(room, to - from));
    if (take > 0) this.#partial += text.slice(from, from + take);
    this.#over += to - from - take;
  }

  /** The unfinished line is complete: log it (or count it, past the cap). */
  #line(): void {
    const line = this.#partial;
    const over = this.#over;
    this.#partial = '';
    this.#over = 0;
    if (this.#lines >= this.#linesPerCall) {
      this.#dropped++;
      return;
    }
    this.#lines++;
    const message = over > 0 ? `${line}… (${over} more characters)` : line;
    this.sink({ level: this.stream === 'stdout' ? 'info' : 'warn', message, fields: { stream: this.stream } });
  }

  /** At the end of a call: the unfinished line, and how much was dropped. */
  endCall(): void {
    if (this.#partial || this.#over > 0) this.#line();
    if (this.#dropped > 0) {
      this.sink({
        level: 'warn',
        message: `${this.#dropped} more line(s) of ${this.stream} dropped (a plugin's ${this.stream} is logged up to ${this.#linesPerCall} lines per call)`,
        fields: { stream: this.stream },
      });
    }
    this.#lines = 0;
    this.#dropped = 0;
  }
}
