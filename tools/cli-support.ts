/**
 * What every command shares: usage errors, reading JSON flag values (`JSON` or `@file`),
 * and reporting errors as `error[<code>]: message` (or a JSON object with `--json`).
 */
import { readFileSync } from 'node:fs';
import { colors as pc } from './ui/colors.js';
import { ERROR_CODES, errorLocation, isPluginError, memoryBoundProblem, parseDuration, parseSize, timeoutBoundProblem, type ErrorCode, type PermissionsGrant } from '../host/src/index.js';

/** A mistake in how a command was called; exits with status 2. */
/** A failure already reported on stdout/stderr: exit 1 without printing more. */
export class SilentFailure extends Error {
  override name = 'SilentFailure';
}

export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'usage';
}

/** Parse a flag given as JSON text or as `@path/to/file.json`. */
export function readJsonFlag(flag: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  // cac turns a bare number (--input 1) into a number before we see it: that is valid JSON too.
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'string') {
    throw new UsageError(`--${flag} takes JSON text or @file, for example --${flag} '{"text":"hello"}'`);
  }
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`--${flag}: cannot read ${value.slice(1)}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${flag} is not valid JSON (${(err as Error).message}); quote it for the shell, for example --${flag} '{"text":"hello"}'`);
  }
}

/**
 * Whether the command line asks for verbose errors: `--verbose`, or `--log-level debug` (errors
 * then also print the plugin's own stack where its engine gives one).
 */
export function verboseErrors(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--verbose' || a === '--log-level=debug' || (a === '--log-level' && argv[i + 1] === 'debug'));
}

/**
 * Print an error the way every command does and return the exit status. A plugin's error names
 * the node and phase it came from (`error[plugin-error]: node greet, exec: ...`); with `verbose`,
 * the guest's stack follows it.
 */
export function reportError(err: unknown, json: boolean, verbose = false): number {
  if (err instanceof UsageError || (err instanceof Error && err.name === 'CACError')) {
    process.stderr.write(`${pc.red('error[usage]')}: ${err.message}\n  run \`pocket-wit --help\` or \`pocket-wit <command> --help\`\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'usage', message: err.message } })}\n`);
    return 2;
  }
  if (isPluginError(err)) {
    const firstLine = err.message.split('\n')[0];
    const rest = err.message.split('\n').slice(1).join('\n');
    const where = errorLocation(err);
    process.stderr.write(`${pc.red(`error[${err.code}]`)}: ${where ? `${where}: ` : ''}${firstLine}\n${rest ? rest + '\n' : ''}`);
    if (err.guestStack) {
      const lines = err.guestStack.split('\n').map((l) => l.trim()).filter(Boolean);
      if (verbose) process.stderr.write(`  guest stack:\n${lines.map((l) => `    ${l}\n`).join('')}`);
      else process.stderr.write(`  run again with --verbose to see the plugin's stack\n`);
    }
    if (json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() })}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${pc.red('error[internal]')}: ${message}\n  this is a bug in pocket-wit; please report it with the command you ran\n`);
  if (process.env.POCKET_WIT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'internal', message } })}\n`);
  return 1;
}

/** The grant flags `run`, `flow` and `worker` share (see {@link grantFromFlags}). */
export interface GrantFlags {
  timeout?: string;
  memory?: string;
  denyFs?: boolean;
  denyNet?: boolean;
  denyEnv?: boolean;
  denyStorage?: boolean;
  denyAll?: boolean;
}

/**
 * `--timeout` and `--memory`: what the host grants at most (they tighten a plugin's own limits, never loosen them);
 * `--deny-fs`, `--deny-net`, `--deny-env`, `--deny-storage` (`--deny-all`: the four): grant no directories, hosts, env names or storage.
 */
export function grantFromFlags(opts: GrantFlags): PermissionsGrant | undefined {
  const grant: PermissionsGrant = {};
  if (opts.denyStorage || opts.denyAll) grant.storage = false;
  if (opts.denyFs || opts.denyAll) grant.filesystem = [];
  if (opts.denyNet || opts.denyAll) grant.network = [];
  if (opts.denyEnv || opts.denyAll) grant.env = [];
  if (opts.timeout !== undefined) {
    try {
      grant.timeout = parseDuration(String(opts.timeout));
    } catch {
      throw new UsageError(`--timeout "${opts.timeout}" is not a duration; write for example --timeout 2s or --timeout 500ms`);
    }
    const problem = timeoutBoundProblem(grant.timeout);
    if (problem) throw new UsageError(`--timeout ${opts.timeout} ${problem}`);
  }
  if (opts.memory !== undefined) {
    try {
      grant.memory = parseSize(String(opts.memory));
    } catch {
      throw new UsageError(`--memory "${opts.memory}" is not a size; write for example --memory 32MB`);
    }
    const problem = memoryBoundProblem(grant.memory);
    if (problem) throw new UsageError(`--memory ${opts.memory} ${problem}`);
  }
  return Object.keys(grant).length > 0 ? grant : undefined;
}

/**
 * The code a summary of failures is reported with: the failures' own code when they share one
 * (`error[timeout]` for a batch whose failures all timed out), else `plugin-error` with a count of
 * each code in `breakdown` (` (2 error[timeout], 1 error[invalid-input])`).
 */
export function failureCodes(byCode: ReadonlyMap<string, number>, failed: number): { code: ErrorCode; breakdown: string } {
  const counted = [...byCode.values()].reduce((a, b) => a + b, 0);
  const codes = [...byCode.keys()];
  if (codes.length === 1 && counted === failed && ERROR_CODES.has(codes[0]!)) return { code: codes[0] as ErrorCode, breakdown: '' };
  if (codes.length === 0) return { code: 'plugin-error', breakdown: '' };
  const parts = [...byCode].sort((a, b) => b[1] - a[1]).map(([c, k]) => `${k} error[${c}]`);
  if (counted < failed) parts.push(`${failed - counted} in the earlier run`);
  return { code: 'plugin-error', breakdown: ` (${parts.join(', ')})` };
}
