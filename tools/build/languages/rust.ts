/**
 * Builds Rust plugin projects (a `Cargo.toml` with crate-type `cdylib` that uses the
 * `pocket-plugin` SDK in `guest-sdk/rust`): Debian's cargo/rustc 1.63 compile it for
 * `wasm32-unknown-unknown`, offline, with crates from Debian's registry folder; the core module
 * (which imports only `pocket:plugin/host`, no WASI) is wrapped into a component of the world.
 *
 * Storage: a module that calls the SDK's `kv` module also imports `wasi:keyvalue/store` and
 * `wasi:keyvalue/atomics` (@{@link KEYVALUE_VERSION}); it is wrapped into the world
 * `plugin-with-storage` (`plugin` plus those two) instead. Only the imports the code references
 * are linked, so a plugin that does not use `kv` stays in the plain world. Whether it may store
 * anything is the manifest's `permissions.storage`, checked by the host on every call: a module
 * importing keyvalue without that permission still builds (as a TypeScript plugin importing
 * `wasi:` itself does), and its calls fail at run time with `permission-denied` ("no storage
 * permission"), which names the fix.
 *
 * The manifest reaches the plugin's `metadata()` through the `POCKET_PLUGIN_MANIFEST`
 * environment variable (JSON), read at compile time by `export_plugin!`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../../host/src/errors.js';
import { toolchainRoot, witSource } from '../../../host/src/wit-world.js';
import { coreModuleInterface, componentFromCore } from '../wrap-core.js';
import { KEYVALUE_VERSION } from '../../../host/src/sandbox/wasi/interfaces.js';
import { STORAGE_WORLD_NAME, storageWitSource } from '../wasi-world.js';
import { findTool, runTool, TOOLS, type ToolSpec } from '../toolchains.js';
import type { LanguageBuildContext, LanguageBuildResult } from './builder.js';
import type { PluginProject } from '../project.js';

/** Where Debian's `librust-*-dev` packages put crate sources. */
export const DEBIAN_CRATE_REGISTRY = '/usr/share/cargo/registry';
const TARGET = 'wasm32-unknown-unknown';
/** The `wasi:` imports a Rust core module may have: those of the SDK's `kv` module. */
const KEYVALUE_IMPORTS = [`wasi:keyvalue/store@${KEYVALUE_VERSION}`, `wasi:keyvalue/atomics@${KEYVALUE_VERSION}`];

function kb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

/** The world version `guest-sdk/rust/src/bindings.rs` was generated for (from its header). */
export function rustGlueWitVersion(root = toolchainRoot()): string | undefined {
  const path = join(root, 'guest-sdk/rust/src/bindings.rs');
  if (!existsSync(path)) return undefined;
  return /pocket-wit-rust-glue: pocket:plugin@(\S+)/.exec(readFileSync(path, 'utf8').slice(0, 2000))?.[1];
}

/**
 * A CARGO_HOME of pocket-wit's own whose config makes cargo use Debian's crates, offline. The
 * user's `~/.cargo` config (and rustup's cargo) stay out of the build.
 */
function cargoHome(registry: string): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(base, 'pocket-wit', 'cargo-home');
  mkdirSync(dir, { recursive: true });
  const config = [
    '# Written by pocket-wit: crates come from Debian packages (librust-*-dev), offline.',
    '[source.crates-io]',
    'replace-with = "debian"',
    '',
    '[source.debian]',
    `directory = "${registry}"`,
    '',
    '[net]',
    'offline = true',
    '',
  ].join('\n');
  const path = join(dir, 'config.toml');
  if (!existsSync(path) || readFileSync(path, 'utf8') !== config) writeFileSync(path, config);
  return dir;
}

export interface RustBuildOptions {
  /** Tool specs, for tests of a missing toolchain. */
  cargo?: ToolSpec;
  rustc?: ToolSpec;
  /** Debian's crate registry folder. */
  registry?: string;
}

/** The `.wasm` cargo produced for the project's cdylib, from its JSON messages. */
function wasmArtifact(stdout: string, project: PluginProject): string {
  let found: string | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const msg = JSON.parse(line) as { reason?: string; filenames?: string[]; target?: { kind?: string[] } };
      if (msg.reason !== 'compiler-artifact' || !msg.target?.kind?.includes('cdylib')) continue;
      found = msg.filenames?.find((f) => f.endsWith('.wasm')) ?? found;
    } catch {
      // not a message
    }
  }
  if (!found) {
    throw new PluginError(
      'build-failed',
      `${project.dir}: cargo built no .wasm; Cargo.toml needs \`[lib] crate-type = ["cdylib"]\` (see docs/languages/rust.md)`,
    );
  }
  return found;
}

export async function buildRust(project: PluginProject, ctx: LanguageBuildContext, options: RustBuildOptions = {}): Promise<LanguageBuildResult> {
  const glue = rustGlueWitVersion();
  if (!glue) throw new PluginError('build-failed', `the Rust SDK's glue (guest-sdk/rust/src/bindings.rs) is missing from this pocket-wit; reinstall it`);
  if (ctx.witVersion !== glue) {
    throw new PluginError(
      'build-failed',
      `${project.manifest.name}: Rust plugins are built for pocket:plugin@${glue} only (the Rust SDK's glue is generated for that world); drop --wit-version ${ctx.witVersion} or use ${glue}`,
    );
  }
  const what = `the Rust plugin ${project.manifest.name}`;
  const cargo = findTool(options.cargo ?? TOOLS.cargo, what);
  const rustc = findTool(options.rustc ?? TOOLS.rustc, what);
  const registry = options.registry ?? DEBIAN_CRATE_REGISTRY;
  if (!existsSync(join(registry))) {
    throw new PluginError(
      'build-failed',
      `building ${what} needs Debian's Rust crates in ${registry}, which is missing; install them with \`sudo apt-get install ${TOOLS.cargo.packages.join(' ')}\``,
    );
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Debian's toolchain first: rustup's (~/.cargo/bin) has no wasm32 standard library.
    PATH: `/usr/bin:${process.env.PATH ?? ''}`,
    RUSTC: rustc,
    CARGO_HOME: cargoHome(registry),
    CARGO_TARGET_DIR: join(project.dir, 'target'),
    POCKET_PLUGIN_MANIFEST: JSON.stringify(project.manifest),
    CARGO_TERM_COLOR: 'never',
  };
  for (const k of ['RUSTUP_TOOLCHAIN', 'RUSTFLAGS', 'CARGO_BUILD_TARGET', 'CARGO_ENCODED_RUSTFLAGS']) delete env[k];

  const stdout = await ctx.steps.step(`cargo build --release --target ${TARGET}`, async () =>
    runTool(cargo, ['build', '--release', '--offline', '--target', TARGET, '--message-format=json-render-diagnostics'], {
      cwd: project.dir,
      env,
      what: `cargo build of ${project.manifest.name}`,
    }),
  );
  const core = new Uint8Array(readFileSync(wasmArtifact(stdout, project)));
  const modules = [...coreModuleInterface(core).importModules].filter((m) => !m.startsWith('pocket:plugin/'));
  const keyvalue = modules.filter((m) => KEYVALUE_IMPORTS.includes(m));
  const other = modules.filter((m) => !KEYVALUE_IMPORTS.includes(m));
  const otherKeyvalue = other.filter((m) => m.startsWith('wasi:keyvalue/'));
  if (otherKeyvalue.length > 0) {
    throw new PluginError(
      'build-failed',
      `${project.manifest.name}: the module imports ${otherKeyvalue.join(', ')}; pocket-wit implements wasi:keyvalue@${KEYVALUE_VERSION}: use the SDK's pocket_plugin::kv (see docs/languages/rust.md)`,
    );
  }
  if (other.length > 0) {
    throw new PluginError(
      'build-failed',
      `${project.manifest.name}: the module imports ${other.join(', ')}; a Rust plugin may import only pocket:plugin/host and, through pocket_plugin::kv, ${KEYVALUE_IMPORTS.join(' and ')} (build for ${TARGET}, and do not use crates that need WASI or wasm-bindgen)`,
    );
  }
  // With storage, the world with wasi:keyvalue: componentEmbed needs every import in the world.
  const world = keyvalue.length > 0 ? { witSource: storageWitSource(glue, witSource(glue)), world: STORAGE_WORLD_NAME } : { witSource: witSource(glue), world: 'plugin' };
  const component = await ctx.steps.step(
    `wrapping the core module into a component${keyvalue.length > 0 ? ` (world ${STORAGE_WORLD_NAME})` : ''}`,
    () => componentFromCore(core, { ...world, adapter: 'none', source: `${project.manifest.name} (cargo)` }),
    (b) => kb(b.length),
  );
  return { component, engine: 'rust' };
}
