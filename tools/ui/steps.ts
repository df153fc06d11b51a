/**
 * Progress of a multi-step command: a spinner per step on a terminal that can redraw (ora; see
 * canRedraw), plain `step: done (1.2 s)` lines otherwise, so logs, CI output and terminals without
 * a width stay readable and bounded.
 */
import ora, { type Ora } from 'ora';
import { colors as pc } from './colors.js';
import { canRedraw } from './terminal.js';

export interface StepReporter {
  /** Run `fn` as a named step, reporting its start, end and duration. */
  step<T>(title: string, fn: () => Promise<T>, done?: (result: T) => string): Promise<T>;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A reporter writing to stderr: spinners when it can redraw (canRedraw), plain lines when not. */
export function createStepReporter(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): StepReporter {
  const stream = options.stream ?? process.stderr;
  return {
    async step(title, fn, done) {
      const started = performance.now();
      let spinner: Ora | undefined;
      if (options.quiet) return fn();
      // Decided per step (the terminal may have been resized since the last one).
      if (canRedraw(stream)) spinner = ora({ text: title, stream }).start();
      // Resized to a width that cannot be redrawn (e.g. 0 columns) while spinning: stop the
      // spinner now, before its next frame, and finish the step as a plain line.
      const onResize = (): void => {
        if (!spinner || canRedraw(stream)) return;
        spinner.stop();
        spinner = undefined;
      };
      if (spinner) stream.on('resize', onResize);
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
      } finally {
        stream.off('resize', onResize);
      }
    },
  };
}

/** A reporter that prints nothing. */
export const silentSteps: StepReporter = { step: (_title, fn) => fn() };
