/**
 * "Does this plugin work with this host?" A plugin component is compatible when it exports the
 * `pocket:plugin/node` interface of a world version the host runs, every interface it imports
 * is one the host provides, and the types on both sides are the same, structurally (the
 * component's own WIT against the host's, compared by `diffWit`).
 */
import { readFile } from 'node:fs/promises';
import { PluginError } from '../../host/src/errors.js';
import { readComponent } from '../../host/src/component.js';
import { readPluginSection } from '../../host/src/plugin-section.js';
import { transpileComponent } from '../../host/src/transpile.js';
import { COMMAND_WASI_INTERFACES } from '../../host/src/sandbox/command-runner.js';
import { SANDBOX_WASI_INTERFACES } from '../../host/src/sandbox/wasi/interfaces.js';
import { COMMAND_WORLD_VERSIONS, SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, WORLD_NAME, WORLD_VERSION, resolveWorldVersion, witSource } from '../../host/src/wit-world.js';
import { componentWitOf, nested, type WitOrigin } from './component-wit.js';
import { diffWit, type WitChange } from './diff.js';
import { loadWitPath, parseWitSource } from './load.js';
import type { Package, WitResolve, WorldItem } from './model.js';
import { oracleText, oracleTextOf, type OracleWit } from './oracle.js';

export type ProblemKind = 'not-a-plugin' | 'unsupported-version' | 'missing-import' | 'missing-export' | 'type-mismatch';

export interface CompatProblem {
  kind: ProblemKind;
  /** The WIT item, e.g. `pocket:plugin/host@0.1.0` or `interface:host/func:log/param:level`. */
  path: string;
  message: string;
}

export interface PluginCheckReport {
  source: string;
  compatible: boolean;
  plugin?: { name: string; version: string };
  /** The world the plugin targets, e.g. `pocket:plugin@0.1.0`. */
  world?: string;
  /** Where the plugin's types came from: the WIT it carries, or the released version it names. */
  typesFrom?: WitOrigin;
  /** What it was checked against: the host's released versions, or a WIT given with `--world`. */
  host: { versions: string[]; wit?: string };
  imports: string[];
  exports: string[];
  problems: CompatProblem[];
}

export interface CheckPluginOptions {
  /** A host WIT (file or folder) to check against instead of the versions this host runs. */
  world?: string;
}

function itemName(key: string, item: WorldItem): string {
  return item.kind === 'interface' ? `${key}${item.ref.package.version ? `@${item.ref.package.version}` : ''}` : key;
}

function mainOf(resolve: WitResolve, pkg: Package): WitResolve {
  return { main: pkg, packages: resolve.packages };
}

/** Check a plugin component (path or bytes) against this host, or against a host WIT. */
export async function checkPlugin(input: string | Uint8Array, options: CheckPluginOptions = {}): Promise<PluginCheckReport> {
  const source = typeof input === 'string' ? input : 'component';
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? new Uint8Array(await readFile(input)) : input;
  } catch {
    throw new PluginError('not-found', `${source} does not exist or cannot be read; give a plugin .wasm file`);
  }
  const cw = await componentWitOf(bytes, source);
  const section = readPluginSection(bytes, source);
  const world = cw.resolve ? [...cw.resolve.main.worlds.values()][0] : undefined;
  const imports = world ? [...world.imports].map(([k, v]) => itemName(k, v)) : [];
  const exports = world ? [...world.exports].map(([k, v]) => itemName(k, v)) : [];

  // The host side: a given WIT, or the released version the plugin targets (else the newest).
  let host: WitResolve;
  let hostVersions: string[];
  if (options.world) {
    host = await loadWitPath(options.world);
    hostVersions = host.main.id.version ? [host.main.id.version] : [];
  } else {
    // As the loader links it: its own version, else the newest of its semver track (0.2.7 → 0.2.1).
    const v = (cw.pluginVersion && resolveWorldVersion(cw.pluginVersion)) ?? WORLD_VERSION;
    host = parseWitSource(witSource(v), `wit/v${v}`);
    hostVersions = [...SUPPORTED_WORLD_VERSIONS];
  }
  const hostPkg = `${host.main.id.namespace}:${host.main.id.name}`;
  const hostWorldName = host.main.worlds.has(WORLD_NAME) ? WORLD_NAME : host.main.worlds.size === 1 ? [...host.main.worlds.keys()][0]! : undefined;
  const hostWorld = hostWorldName === undefined ? undefined : host.main.worlds.get(hostWorldName);
  if (!hostWorld) {
    throw new PluginError('invalid-wit', `${options.world ?? 'the host WIT'} has no world "${WORLD_NAME}" (it has: ${[...host.main.worlds.keys()].join(', ') || 'none'}); give the host's pocket:plugin package`);
  }

  const report: PluginCheckReport = {
    source,
    compatible: false,
    ...(section ? { plugin: { name: section.manifest.name, version: section.manifest.version } } : {}),
    ...(cw.pluginVersion ? { world: `${WIT_PACKAGE}@${cw.pluginVersion}` } : {}),
    host: { versions: hostVersions, ...(options.world ? { wit: options.world } : {}) },
    imports,
    exports,
    problems: [],
  };
  const problem = (kind: ProblemKind, path: string, message: string): void => void report.problems.push({ kind, path, message });

  if (!cw.pluginVersion && (cw.commandVersion || exports.some((e) => e.startsWith('wasi:cli/run@')))) {
    checkCommandPlugin(report, cw.commandVersion, imports, exports, options.world !== undefined, problem);
    report.compatible = report.problems.length === 0;
    return report;
  }
  if (!cw.pluginVersion) {
    problem('not-a-plugin', `${WIT_PACKAGE}/node`, `it exports ${exports.join(', ') || 'no pocket:plugin/node'}, but a Pocket plugin exports ${WIT_PACKAGE}/node@<version>; build it with \`pocket-wit build\` (or wit-bindgen against wit/v${WORLD_VERSION})`);
  }
  const version = cw.pluginVersion;
  if (version) {
    report.typesFrom = cw.origins.get(`${WIT_PACKAGE}@${version}`);
    const runs = options.world ? resolveWorldVersion(version, hostVersions) !== undefined : resolveWorldVersion(version) !== undefined;
    if (!runs) {
      problem(
        'unsupported-version',
        `${WIT_PACKAGE}@${version}`,
        `the plugin targets ${WIT_PACKAGE}@${version}, but the host runs ${hostVersions.map((v) => `${hostPkg}@${v}`).join(', ') || hostPkg}; rebuild the plugin with \`pocket-wit build --wit-version ${hostVersions[hostVersions.length - 1] ?? WORLD_VERSION}\`, or upgrade the host`,
      );
    }
  }
  // A newer patch of a supported track whose WIT it does not carry (not built by pocket-wit): what
  // it imports from the host is known only from its code. Ask the loader's own check (transpiled
  // as `loadPlugin` does, cached), so check and load agree on a function this host lacks.
  const linked = version ? resolveWorldVersion(version) : undefined;
  if (version && !options.world && linked !== undefined && linked !== version && cw.missing.includes(`${WIT_PACKAGE}@${version}`)) {
    try {
      await transpileComponent(await readComponent(typeof input === 'string' ? input : bytes), {});
    } catch (err) {
      if (!(err instanceof PluginError) || err.code !== 'incompatible') throw err;
      problem('missing-import', `${WIT_PACKAGE}@${version}`, err.message);
    }
  }
  for (const key of cw.missing) {
    if (key === `${WIT_PACKAGE}@${version}`) continue; // reported above
    problem('missing-import', key, `the plugin uses ${key}, which this host does not provide (and whose WIT is unknown here)`);
  }
  if (!world || !version) {
    report.compatible = report.problems.length === 0;
    return report;
  }
  const root = world;

  // Imports: each must be an interface of the host's world imports, or a WASI interface the
  // sandbox provides (a plugin using env, files, HTTP or sockets: docs/PLUGIN_SDK_API.md).
  for (const [key, item] of root.imports) {
    const name = itemName(key, item);
    if (item.kind === 'interface' && key.startsWith('wasi:')) {
      if (!SANDBOX_WASI_INTERFACES.includes(key)) {
        problem('missing-import', name, `the plugin imports ${name}, which the host's sandbox does not provide (its WASI: ${SANDBOX_WASI_INTERFACES.join(', ')})`);
      }
      continue;
    }
    if (item.kind !== 'interface' || !key.startsWith(`${hostPkg}/`)) {
      problem('missing-import', name, `the plugin imports ${name}, which the host does not provide (it provides ${[...hostWorld.imports.keys()].join(', ')}); remove that dependency from the plugin`);
      continue;
    }
    const iface = key.slice(hostPkg.length + 1);
    const provided = hostWorld.imports.has(key) || [...hostWorld.imports.values()].some((i) => i.kind === 'interface' && i.ref.interface === iface) || host.main.interfaces.has(iface);
    if (!provided) problem('missing-import', name, `the plugin imports ${name}, which the host's ${hostPkg} has no interface for`);
  }
  // Exports: every export of the host's world must be there.
  for (const [key, item] of hostWorld.exports) {
    if (!root.exports.has(key)) problem('missing-export', itemName(key, item), `the host calls ${key}, which the plugin does not export; rebuild it against the host's WIT`);
  }

  // Types: the plugin's own WIT of the package against the host's, structurally.
  const pluginPkg = cw.resolve!.packages.get(`${WIT_PACKAGE}@${version}`);
  if (pluginPkg && report.problems.length === 0) {
    const diff = diffWit(mainOf(cw.resolve!, pluginPkg), host);
    const used = new Set([...root.imports.keys(), ...root.exports.keys()].filter((k) => k.startsWith(`${hostPkg}/`)).map((k) => k.slice(hostPkg.length + 1)));
    const relevant = (c: WitChange): boolean => {
      if (c.breaks !== 'plugins' || c.kind === 'version-changed' || c.kind === 'package-renamed') return false;
      // Only what the plugin's world uses counts: other worlds of the package (e.g. `command`,
      // added in 0.2.1) are not the plugin's business.
      const iface = /^interface:([^/]+)/.exec(c.path)?.[1];
      if (iface) return used.has(iface);
      const w = /^world:([^/]+)/.exec(c.path)?.[1];
      return w === undefined || w === hostWorldName;
    };
    for (const c of diff.changes.filter(relevant)) {
      const detail = c.old !== undefined || c.new !== undefined ? `: plugin has ${c.old ?? 'nothing'}, host has ${c.new ?? 'nothing'}` : '';
      problem('type-mismatch', c.path, `${c.kind} at ${c.path}${detail}`);
    }
  }
  report.compatible = report.problems.length === 0;
  return report;
}

/**
 * A command plugin (world `pocket:plugin/command`, e.g. Go): it must name a world version the
 * host runs, export `wasi:cli/run`, and import only the WASI interfaces the command worker
 * implements. Its node lifecycle travels over stdin/stdout, so there are no node types to compare.
 */
function checkCommandPlugin(
  report: PluginCheckReport,
  version: string | undefined,
  imports: string[],
  exports: string[],
  againstWit: boolean,
  problem: (kind: ProblemKind, path: string, message: string) => void,
): void {
  report.world = `${WIT_PACKAGE}/command@${version ?? '?'}`;
  report.typesFrom = 'jco-wasi';
  if (againstWit) problem('unsupported-version', report.world, 'a command plugin (Go) is checked against the versions this host runs; drop --world');
  else if (!version || resolveWorldVersion(version, COMMAND_WORLD_VERSIONS) === undefined) {
    problem(
      'unsupported-version',
      report.world,
      `the plugin targets ${report.world}, but the host runs ${COMMAND_WORLD_VERSIONS.map((v) => `${WIT_PACKAGE}/command@${v}`).join(', ')} (and what is semver-compatible with it); rebuild it with \`pocket-wit build\``,
    );
  }
  if (!exports.some((e) => e.startsWith('wasi:cli/run@'))) problem('missing-export', 'wasi:cli/run', 'a command plugin must export wasi:cli/run; build it with `pocket-wit build`');
  for (const name of imports) {
    const bare = name.replace(/@[^@]+$/, '');
    if (!COMMAND_WASI_INTERFACES.includes(bare)) {
      problem('missing-import', name, `the plugin imports ${name}, which the command worker does not provide (it provides ${COMMAND_WASI_INTERFACES.join(', ')})`);
    }
  }
}

/** A person's reading of a report. */
export function formatPluginCheck(r: PluginCheckReport, color: { ok(s: string): string; bad(s: string): string; dim(s: string): string }): string {
  const who = r.plugin ? `${r.plugin.name}@${r.plugin.version} (${r.source})` : r.source;
  const lines = [`plugin ${who}`];
  if (r.world) {
    const from =
      r.typesFrom === 'embedded' ? 'the WIT it carries' : r.typesFrom === 'released' ? `the released ${r.world} (it carries no WIT)` : 'the WASI packages jco ships (a command plugin: nodes over stdin/stdout)';
    lines.push(`  targets ${r.world}; types from ${from}`);
  }
  lines.push(`  host: ${r.host.wit ? `${r.host.wit} (${r.host.versions.join(', ') || 'unversioned'})` : `runs ${WIT_PACKAGE} ${r.host.versions.join(', ')}`}`);
  lines.push(color.dim(`  imports: ${r.imports.join(', ') || 'none'}`));
  lines.push(color.dim(`  exports: ${r.exports.join(', ') || 'none'}`));
  if (r.compatible) lines.push(color.ok('compatible'));
  else {
    lines.push(color.bad(`not compatible: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`));
    for (const p of r.problems) lines.push(`  ${color.bad(p.kind)} ${p.path}\n    ${p.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Load either side of `check --old/--new`: a `.wit` file, a WIT folder, or a `.wasm` component. */
export async function loadWitAny(path: string): Promise<WitResolve> {
  return (await loadWitSide(path)).resolve;
}

/**
 * One side of `check --old/--new`, resolved and as one WIT text for the oracle (a component: the
 * `pocket:plugin` package it carries, or its own world, with the packages it uses nested).
 */
export async function loadWitSide(path: string): Promise<{ resolve: WitResolve; oracle: OracleWit }> {
  if (!path.endsWith('.wasm')) return { resolve: await loadWitPath(path), oracle: await oracleText(path) };
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    throw new PluginError('not-found', `${path} does not exist or cannot be read`);
  }
  const cw = await componentWitOf(bytes, path);
  if (!cw.resolve) throw new PluginError('invalid-wit', `${path} uses ${cw.missing.join(', ')}, whose WIT is unknown here: give the .wit files instead`);
  // A plugin's interesting package is the pocket:plugin one it carries; others compare as built.
  const key = cw.pluginVersion ? `${WIT_PACKAGE}@${cw.pluginVersion}` : undefined;
  const pkg = key ? cw.resolve.packages.get(key) : undefined;
  const mainText = key && pkg ? cw.texts.get(key) : undefined;
  // Versions are erased for the oracle: one text per package name (a `ns:pkg/x@v` in a doc comment
  // names a package too; a package never uses another version of itself).
  const names = new Set(mainText ? [WIT_PACKAGE] : []);
  const others: string[] = [];
  for (const [k, t] of cw.texts) {
    const name = k.replace(/@.*$/, '');
    if (names.has(name)) continue;
    names.add(name);
    others.push(nested(t).block);
  }
  return {
    resolve: pkg ? mainOf(cw.resolve, pkg) : cw.resolve,
    oracle: oracleTextOf([mainText ?? cw.rootText, ...others].join('\n'), path),
  };
}
