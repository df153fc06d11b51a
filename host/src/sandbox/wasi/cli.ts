/**
 * `wasi:cli/*` for one instance: environment and arguments exactly as granted, no initial cwd,
 * an empty stdin (unless the worker feeds one), stdout/stderr handed to the worker's callbacks, no terminals, and an `exit`
 * that throws {@link WasiExit} instead of ending the process.
 */
import type { CliExit, CliTerminalInput, CliTerminalOutput, WasiImports } from './contract.js';
import { WasiExit } from './exit.js';
import type { Io } from './io.js';

export interface CliGrant {
  env: readonly (readonly [string, string])[];
  args: readonly string[];
}

export interface CliIo {
  stdout(bytes: Uint8Array): void;
  stderr(bytes: Uint8Array): void;
  stdin?(max: number): Uint8Array | null;
}

type CliImports = Pick<
  WasiImports,
  | 'wasi:cli/environment' | 'wasi:cli/exit' | 'wasi:cli/stdin' | 'wasi:cli/stdout' | 'wasi:cli/stderr'
  | 'wasi:cli/terminal-input' | 'wasi:cli/terminal-output'
  | 'wasi:cli/terminal-stdin' | 'wasi:cli/terminal-stdout' | 'wasi:cli/terminal-stderr'
>;

/** Builds the `wasi:cli/*` import entries. */
export function createCli(grant: CliGrant, out: CliIo, io: Io): CliImports {
  const env: [string, string][] = grant.env.map(([k, v]) => [k, v]);
  const args: string[] = [...grant.args];
  const stdin = new io.InputStream({ read: (max) => (out.stdin ? out.stdin(max) : null) });
  const stdout = new io.OutputStream({ write: (bytes) => out.stdout(bytes) });
  const stderr = new io.OutputStream({ write: (bytes) => out.stderr(bytes) });
  class TerminalInput implements CliTerminalInput.TerminalInput {}
  class TerminalOutput implements CliTerminalOutput.TerminalOutput {}
  return {
    'wasi:cli/environment': {
      getEnvironment: (): [string, string][] => env.map(([k, v]) => [k, v]),
      getArguments: (): string[] => [...args],
      initialCwd: (): string | undefined => undefined,
    },
    'wasi:cli/exit': {
      exit(status: CliExit.Result<void, void>): never {
        throw new WasiExit(status?.tag === 'ok' ? 0 : 1);
      },
      exitWithCode(code: number): never {
        throw new WasiExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: (): undefined => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: (): undefined => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: (): undefined => undefined },
  };
}
