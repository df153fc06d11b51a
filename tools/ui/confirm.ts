/** Asking a yes/no question on a terminal; scripts pass --yes instead. */
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../cli-support.js';

export async function confirm(question: string, yes: boolean | undefined, flagHint = '--yes'): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`${question.replace(/\?$/, '')}: cannot ask without a terminal; pass ${flagHint} to confirm`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    return answer === 'y' || answer === 'yes';
  } finally {
    rl.close();
  }
}
