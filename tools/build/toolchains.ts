/**
 * Finding the compilers of non-JS plugins. They come from Debian (see
 * `scripts/install-toolchains.sh`); a missing one is a `build-failed` error that names the
 * package to install.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { PluginError } from '../../host/src/errors.js';

export interface ToolSpec {
  /** What the error calls it, e.g. `clang-14`. */
  label: string;
  /** Paths tried in order; the first that exists wins. */
  candidates: string[];
  /** The Debian packages that provide it. */
  packages: string[];
}

export const TOOLS = {
  clang: { label: 'clang-14', candidates: ['/usr/bin/clang-14'], packages: ['clang-14', 'lld-14', 'wasi-libc', 'libclang-rt-14-dev-wasm32'] },
  // Debian's rustc has the wasm32 targets; rustup's (~/.cargo/bin) usually does not.
  cargo: { label: 'cargo (Debian, with the wasm32 std)', candidates: ['/usr/bin/cargo'], packages: ['rustc', 'cargo', 'libstd-rust-dev-wasm32', 'librust-serde-json-dev'] },
  rustc: { label: 'rustc (Debian, with the wasm32 std)', candidates: ['/usr/bin/rustc'], packages: ['rustc', 'libstd-rust-dev-wasm32'] },
  go: { label: 'go 1.23', candidates: ['/usr/lib/go-1.23/bin/go'], packages: ['golang-1.23-go (from bookworm-backports)'] },
} satisfies Record<string, ToolSpec>;

/** The path of a tool, or a `build-failed` error saying what to install. */
export function findTool(spec: ToolSpec, forWhat: string): string {
  const found = spec.candidates.find((p) => existsSync(p));
  if (found) return found;
  throw new PluginError(
    'build-failed',
    `building ${forWhat} needs ${spec.label}, which is not installed; install it with \`sudo sh scripts/install-toolchains.sh\` (from the pocket-wit folder) or \`sudo apt-get install ${spec.packages.join(' ')}\``,
  );
}

/** Run a tool; a non-zero exit is `build-failed` with its output. */
export function runTool(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; what: string }): string {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new PluginError('build-failed', `${options.what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-30).join('\n  ');
    throw new PluginError('build-failed', `${options.what} failed (exit ${r.status}):\n  ${out}`);
  }
  return r.stdout;
}
