/**
 * `pocket-wit stamp <component.wasm> [--manifest <file>] [-o out.wasm] [--engine <name>] [--force] [--json]`:
 * add the `pocket-wit:plugin` section to a component another toolchain made (componentize-js,
 * wit-bindgen + jco, TinyGo, ...), with the build's own code (`tools/build/stamp.ts`): the node
 * definitions are read by running the component's `metadata` export once in a sandboxed worker
 * granted nothing, and checked against the manifest (name and version must agree).
 */
import type { CAC } from 'cac';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import {
  findManifestFile,
  isPluginError,
  PLUGIN_SECTION,
  PluginError,
  readComponent,
  readManifest,
  summarizePermissions,
  transpileComponent,
  WIT_PACKAGE,
  EXTERNAL_ENGINE,
  type ComponentFile,
  type Manifest,
  type PluginSection,
} from '../../host/src/index.js';
import { binaryKind, readCustomSections, removeCustomSection } from '../../host/src/component-sections.js';
import { readComponentMetadata, stampComponent } from '../build/stamp.js';
import { UsageError } from '../cli-support.js';
import { createStepReporter, silentSteps, type StepReporter } from '../ui/steps.js';

const ENGINE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export interface StampFileOptions {
  /** The manifest file (or a folder holding one); default: beside the component, else in its parent folder. */
  manifest?: string;
  /** Where to write; default: the component itself (in place). */
  out?: string;
  /** Recorded as the section's `engine`; default `external`. */
  engine?: string;
  /** Replace a `pocket-wit:plugin` section the component already has. */
  force?: boolean;
  steps?: StepReporter;
}

export interface StampFileResult {
  file: string;
  out: string;
  inPlace: boolean;
  /** The section the component had before, when `--force` replaced one (`damaged` when it could not be read). */
  replaced?: PluginSection | 'damaged';
  manifestPath: string;
  section: PluginSection;
  bytes: Uint8Array;
  /** Node types and examples the manifest declares that the component's metadata() does not. */
  warnings: string[];
}

/** The manifest for `component`: `--manifest` (a file or a folder), else beside it, else in its parent folder. */
function locateManifest(component: string, given: string | undefined): string {
  if (given !== undefined) {
    if (existsSync(given) && statSync(given).isDirectory()) {
      const found = findManifestFile(given);
      if (!found) throw new PluginError('not-found', `--manifest ${given} is a folder without manifest.yaml, manifest.yml or manifest.json; give the manifest file itself`);
      return found;
    }
    if (!existsSync(given)) throw new PluginError('not-found', `--manifest ${given}: no such file; give the plugin's manifest.yaml or manifest.json`);
    return given;
  }
  const beside = dirname(resolve(component));
  const found = findManifestFile(beside) ?? findManifestFile(dirname(beside));
  if (found) return found;
  throw new PluginError(
    'not-found',
    `no manifest for ${component}: none beside it (${beside}) or in its parent folder (${dirname(beside)}); give one with --manifest <manifest.yaml> (name, version, description, permissions and node examples: docs/PLUGINS.md)`,
  );
}

/**
 * Read the component; with `force`, one whose section is unreadable is taken too (the section is
 * being replaced). Returns it without its `pocket-wit:plugin` section, and what that section was.
 */
async function readUnstamped(path: string, force: boolean): Promise<{ base: ComponentFile; had?: PluginSection | 'damaged' }> {
  let file: ComponentFile;
  let had: PluginSection | 'damaged' | undefined;
  try {
    file = await readComponent(path);
    had = file.section;
  } catch (err) {
    // Only a component whose section is damaged gets past here, and only with --force.
    if (!force || !isPluginError(err) || err.code !== 'invalid-plugin') throw err;
    let bytes: Uint8Array;
    let sections: Map<string, Uint8Array>;
    try {
      bytes = await readFile(path);
      sections = binaryKind(bytes) === 'component' ? readCustomSections(bytes) : new Map();
    } catch {
      throw err;
    }
    if (!sections.has(PLUGIN_SECTION)) throw err;
    file = { ...(await readComponent(removeCustomSection(bytes, PLUGIN_SECTION))), source: path };
    had = 'damaged';
  }
  if (had === undefined) return { base: file };
  if (!force) {
    const what = had === 'damaged' ? 'a damaged one' : `${had.manifest.name}@${had.manifest.version}, ${had.world}, engine ${had.engine}`;
    throw new PluginError('invalid-plugin', `${path} already has a ${PLUGIN_SECTION} section (${what}); pass --force to replace it, or stamp a component that has none`);
  }
  const bytes = removeCustomSection(file.bytes, PLUGIN_SECTION);
  return { base: { ...(await readComponent(bytes)), source: path }, had };
}

/** Stamp the component at `path` (see the module comment); writes `out` (default: `path`) atomically. */
export async function stampFile(path: string, options: StampFileOptions = {}): Promise<StampFileResult> {
  const steps = options.steps ?? silentSteps;
  const engine = options.engine ?? EXTERNAL_ENGINE;
  if (!ENGINE_NAME.test(engine)) {
    throw new PluginError('invalid-input', `engine "${engine}" is not a name: use lowercase letters, digits, ".", "_" or "-", for example --engine componentize-js`);
  }
  const { base, had } = await steps.step('reading component', () => readUnstamped(path, options.force ?? false), (r) => (r.had ? `replacing its ${PLUGIN_SECTION} section` : `no ${PLUGIN_SECTION} section yet`));
  const manifestPath = locateManifest(path, options.manifest);
  const manifest: Manifest = readManifest(manifestPath);
  const transpiled = await steps.step('checking its world', () => transpileComponent(base), (t) => `${t.kind === 'command' ? `${WIT_PACKAGE}/command` : WIT_PACKAGE}@${t.worldVersion}`);
  const world = transpiled.kind === 'command' ? `${WIT_PACKAGE}/command@${transpiled.worldVersion}` : `${WIT_PACKAGE}@${transpiled.worldVersion}`;
  const metadata = await steps.step(
    'reading node definitions',
    async () => {
      try {
        return await readComponentMetadata(base.bytes);
      } catch (err) {
        if (!isPluginError(err)) throw err;
        throw new PluginError(err.code, err.message.replaceAll('<bytes>', path), { cause: err, ...(err.details === undefined ? {} : { details: err.details }) });
      }
    },
    (m) => m.nodes.map((n) => n.type).join(', '),
  );

  const mismatches: string[] = [];
  if (metadata.name !== manifest.name) mismatches.push(`name "${manifest.name}" in the manifest, "${metadata.name}" in the component`);
  if (metadata.version !== manifest.version) mismatches.push(`version "${manifest.version}" in the manifest, "${metadata.version}" in the component`);
  if (mismatches.length > 0) {
    throw new PluginError(
      'invalid-manifest',
      `${manifestPath} does not describe ${path}: ${mismatches.join('; ')} (its metadata() export); set name: ${metadata.name} and version: ${metadata.version} in the manifest, or give this component's own manifest with --manifest`,
      { details: { manifest: { name: manifest.name, version: manifest.version }, component: { name: metadata.name, version: metadata.version } } },
    );
  }
  // The section records the nodes as metadata() defines them; `test` runs the examples metadata()
  // declares. A manifest node or example the component lacks is said, not silently kept.
  const byType = new Map(metadata.nodes.map((n) => [n.type, n]));
  const warnings: string[] = [];
  for (const n of manifest.nodes ?? []) {
    const node = byType.get(n.type);
    if (!node) {
      warnings.push(`${manifestPath} declares node type "${n.type}", which ${path} does not define (it defines ${[...byType.keys()].join(', ') || 'none'})`);
      continue;
    }
    const names = new Set(node.examples.map((e) => e.name));
    for (const e of n.examples ?? []) {
      if (!names.has(e.name)) warnings.push(`${manifestPath}: example "${e.name}" of node "${n.type}" is not among the examples ${path}'s metadata() declares, so \`pocket-wit test\` will not run it; declare it in the component's metadata`);
    }
  }

  const { bytes, section } = await stampComponent(base.bytes, { manifest, witVersion: transpiled.worldVersion, world, engine, nodes: metadata.nodes });
  const out = resolve(options.out ?? path);
  await steps.step(`writing ${out}`, async () => {
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(out), { recursive: true });
      await writeFile(tmp, bytes);
      await rename(tmp, out);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new PluginError('not-found', `cannot write ${out}: ${(err as Error).message}`, { cause: err });
    }
  });
  return { file: path, out, inPlace: out === resolve(path), ...(had ? { replaced: had } : {}), manifestPath, section, bytes, warnings };
}

export function registerStamp(cli: CAC): void {
  cli
    .command('stamp <component>', 'Add the pocket-wit:plugin section (manifest, node definitions, world) to a component another toolchain built')
    .option('--manifest <file>', 'The plugin manifest (default: manifest.yaml|yml|json beside the component, else in its parent folder)')
    .option('-o, --out <file>', 'Write the stamped component here (default: the component itself, in place)')
    .option('--engine <name>', `What built it, recorded in the section (default: ${EXTERNAL_ENGINE})`)
    .option('--force', `Replace a ${PLUGIN_SECTION} section the component already has`)
    .option('--json', 'Print a JSON summary')
    .example('pocket-wit stamp dist/my-plugin.wasm --manifest manifest.yaml')
    .action(async (component: string, opts: { manifest?: unknown; out?: unknown; engine?: unknown; force?: boolean; json?: boolean }) => {
      for (const flag of ['manifest', 'out', 'engine'] as const) {
        if (opts[flag] !== undefined && (typeof opts[flag] !== 'string' || opts[flag] === '')) {
          throw new UsageError(`--${flag} takes a value, for example ${flag === 'engine' ? '--engine componentize-js' : flag === 'out' ? '-o stamped.wasm' : '--manifest manifest.yaml'}`);
        }
      }
      const engine = opts.engine as string | undefined;
      if (engine !== undefined && !ENGINE_NAME.test(engine)) {
        throw new UsageError(`--engine "${engine}" is not a name: use lowercase letters, digits, ".", "_" or "-", for example --engine componentize-js`);
      }
      const r = await stampFile(component, {
        ...(opts.manifest !== undefined ? { manifest: opts.manifest as string } : {}),
        ...(opts.out !== undefined ? { out: opts.out as string } : {}),
        ...(engine !== undefined ? { engine } : {}),
        force: opts.force === true,
        steps: createStepReporter(),
      });
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      const m = r.section.manifest;
      const nodes = (r.section.nodes ?? []).map((n) => n.type);
      if (opts.json) {
        const summary = {
          name: m.name,
          version: m.version,
          file: r.file,
          out: r.out,
          inPlace: r.inPlace,
          replaced: r.replaced !== undefined,
          manifest: r.manifestPath,
          world: r.section.world,
          engine: r.section.engine,
          nodes,
          permissions: m.permissions ?? {},
          size: r.bytes.length,
          warnings: r.warnings,
        };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      const where = r.inPlace ? `${r.out} (in place)` : r.out;
      const rel = (p: string): string => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || basename(p));
      process.stdout.write(
        `stamped ${m.name}@${m.version} → ${where}${r.replaced ? ` (replaced its ${PLUGIN_SECTION} section)` : ''}\n` +
          `  world: ${r.section.world}   engine: ${r.section.engine}\n` +
          `  nodes: ${nodes.join(', ') || 'none'}\n` +
          `  manifest: ${rel(r.manifestPath)}   permissions: ${summarizePermissions(m.permissions ?? {})}\n`,
      );
    });
}
