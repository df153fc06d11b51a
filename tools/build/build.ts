/**
 * `pocket-wit build`: plugin project → one `.wasm` component that is enough to run the plugin,
 * with its manifest stamped in the `pocket-wit:plugin` section.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { readPluginSection } from '../../host/src/plugin-section.js';
import { PluginError, SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, WORLD_VERSION } from './toolchain.js';
import { stampComponent } from './stamp.js';
import { readProject, type PluginProject } from './project.js';
import type { JsEngine } from './bundle-ts.js';
import { DEFAULT_JS_ENGINE, JS_ENGINES } from './componentize-js.js';
import type { LanguageBuildContext, LanguageBuildResult } from './languages/builder.js';
import { buildTypeScript } from './languages/typescript.js';
import { buildRust } from './languages/rust.js';
import { buildGo } from './languages/go.js';
import { buildC } from './languages/c.js';
import { silentSteps, type StepReporter } from '../ui/steps.js';
import { typecheckOrFail } from './typecheck.js';

export interface BuildOptions {
  /** Output path; default: the manifest's `binary`, else `dist/<name>.wasm` in the project. */
  out?: string;
  /**
   * JS engine for TypeScript/JavaScript plugins; default: the manifest's `engine`, else the
   * engine of the project's last build (its component at the default output), else QuickJS.
   */
  engine?: JsEngine;
  /** Type-check a TypeScript project before bundling it (default true). */
  typecheck?: boolean;
  /** The `pocket:plugin` version to build against; the newest when omitted. */
  witVersion?: string;
  steps?: StepReporter;
}

export interface BuildResult {
  project: PluginProject;
  out: string;
  bytes: Uint8Array;
  engine: string;
  /** The world version the component targets. */
  witVersion: string;
  /** Where the engine came from (TypeScript/JavaScript projects). */
  engineSource?: EngineSource;
  /** One-line notes for the user (e.g. an engine that differs from the manifest's). */
  notes: string[];
  /** The type check, when one ran. */
  typecheck?: { files: number; ms: number };
}

/** Where a build's JS engine came from. */
export type EngineSource = 'option' | 'manifest' | 'last-build' | 'default';

/** The engine recorded in a component's `pocket-wit:plugin` section, when it is a JS engine. */
function lastBuildEngine(file: string): JsEngine | undefined {
  try {
    if (!existsSync(file)) return undefined;
    const engine = readPluginSection(new Uint8Array(readFileSync(file)), file)?.engine;
    return JS_ENGINES.includes(engine as JsEngine) ? (engine as JsEngine) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The JS engine to build a project with: `--engine`, else the manifest's `engine`, else the
 * engine of the project's last build, else the default.
 */
export function projectEngine(project: PluginProject, option?: JsEngine): { engine: JsEngine; source: EngineSource } {
  if (option) return { engine: option, source: 'option' };
  if (project.manifest.engine) return { engine: project.manifest.engine, source: 'manifest' };
  const last = lastBuildEngine(project.defaultOutput);
  if (last) return { engine: last, source: 'last-build' };
  return { engine: DEFAULT_JS_ENGINE, source: 'default' };
}


export async function buildPlugin(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const steps = options.steps ?? silentSteps;
  if (options.engine !== undefined && !JS_ENGINES.includes(options.engine)) {
    throw new PluginError('build-failed', `unknown engine "${options.engine}"; use one of: ${JS_ENGINES.join(', ')}`);
  }
  const project = await steps.step('reading project', async () => readProject(dir), (p) => `${p.manifest.name}@${p.manifest.version}`);
  const { engine, source: engineSource } = projectEngine(project, options.engine);
  const notes: string[] = [];
  const isJs = project.language === 'typescript' || project.language === 'javascript';
  if (isJs && engineSource === 'option' && project.manifest.engine && project.manifest.engine !== engine) {
    const manifestFile = relative(process.cwd(), project.manifestPath) || project.manifestPath;
    notes.push(`built with ${engine}, but ${manifestFile} says engine: ${project.manifest.engine} (rebuilds by run, test, flow and validate use it); to pin ${engine}, write \`engine: ${engine}\` there`);
  }
  const witVersion = options.witVersion ?? WORLD_VERSION;
  if (!SUPPORTED_WORLD_VERSIONS.includes(witVersion)) {
    throw new PluginError('build-failed', `cannot build for ${WIT_PACKAGE}@${witVersion}: this pocket-wit knows ${SUPPORTED_WORLD_VERSIONS.join(', ')}; pick one of those`);
  }
  let typecheck: BuildResult['typecheck'];
  // TypeScript is type-checked after bundling (a syntax error or an import from outside the
  // project is reported as the bundler's build-failed) and before the slow compile.
  const checkTypes = async (): Promise<void> => {
    typecheck = await steps.step('type-checking', () => typecheckOrFail(project), (r) => (r.syntaxErrors ? 'skipped: syntax errors (see the bundling step)' : r.cached ? `unchanged since it passed (${r.ms} ms)` : `${r.files} file${r.files === 1 ? '' : 's'}, ${r.ms} ms`));
  };
  const ctx: LanguageBuildContext = { witVersion, steps, ...(project.language === 'typescript' && options.typecheck !== false ? { beforeCompile: checkTypes } : {}) };
  let built: LanguageBuildResult;
  switch (project.language) {
    case 'typescript':
    case 'javascript':
      built = await buildTypeScript(project, ctx, engine);
      break;
    case 'rust':
      built = await buildRust(project, ctx);
      break;
    case 'go':
      built = await buildGo(project, ctx);
      break;
    case 'c':
      built = await buildC(project, ctx);
      break;
  }
  // The node definitions go into the plugin section too, so that tools can list and describe the
  // plugin without running it. Reading them runs the author's own code, once, here (sandboxed).
  const { bytes } = await steps.step(
    'reading node definitions',
    () => stampComponent(built.component, { manifest: project.manifest, witVersion, engine: built.engine, ...(built.world ? { world: built.world } : {}) }),
    (s) => (s.section.nodes ?? []).map((d) => d.type).join(', '),
  );
  const out = options.out ?? project.defaultOutput;
  await steps.step(`writing ${out}`, async () => {
    await mkdir(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, out);
  });
  return { project, out, bytes, engine: built.engine, witVersion, notes, ...(isJs ? { engineSource } : {}), ...(typecheck ? { typecheck: { files: typecheck.files, ms: typecheck.ms } } : {}) };
}
