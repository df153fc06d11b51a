/**
 * Progress of a multi-step command: a spinner per step on a terminal (ora), plain
 * `step: done (1.2s)` lines otherwise, so logs and CI output stay readable.
 */
import ora, { type Ora } from 'ora';
import { colors as pc } from './colors.js';

export interface StepReporter {
  /** Run `fn` as a named step, reporting its start, end and duration. */
  step<T>(title: string, fn: () => Promise<T>, done?: (result: T) => string): Promise<T>;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A reporter writing to stderr: spinners when it is a terminal, plain lines when not. */
export function createStepReporter(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): StepReporter {
  const stream = options.stream ?? process.stderr;
  const interactive = Boolean(stream.isTTY) && !process.env.CI;
  return {
    async step(title, fn, done) {
      const started = performance.now();
      let spinner: Ora | undefined;
      if (options.quiet) return fn();
      if (interactive) spinner = ora({ text: title, stream }).start();
      try {
        const result = await fn();
        const extra = done ? ` ${done(result)}` : '';
        const line = `${title}${extra} ${pc.dim(`(${seconds(performance.now() - started)})`)}`;
        if (spinner) spinner.succeed(line);
        else stream.write(`${title}: done${extra} (${seconds(performance.now() - started)})\n`);
        return result;
      } catch (err) {
        if (spinner) spinner.fail(title);
        else stream.write(`${title}: failed\n`);
        throw err;
      }
    },
  };
}

/** A reporter that prints nothing. */
export const silentSteps: StepReporter = { step: (_title, fn) => fn() };
