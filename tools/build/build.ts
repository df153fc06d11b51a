/**
 * `pocket-wit build`: plugin project → one `.wasm` component that is enough to run the plugin,
 * with its manifest stamped in the `pocket-wit:plugin` section.
 */
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
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

export interface BuildOptions {
  /** Output path; default: the manifest's `binary`, else `dist/<name>.wasm` in the project. */
  out?: string;
  /** JS engine for TypeScript/JavaScript plugins. */
  engine?: JsEngine;
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
}


export async function buildPlugin(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const steps = options.steps ?? silentSteps;
  const engine = options.engine ?? DEFAULT_JS_ENGINE;
  if (!JS_ENGINES.includes(engine)) {
    throw new PluginError('build-failed', `unknown engine "${engine}"; use one of: ${JS_ENGINES.join(', ')}`);
  }
  const project = await steps.step('reading project', async () => readProject(dir), (p) => `${p.manifest.name}@${p.manifest.version}`);
  const witVersion = options.witVersion ?? WORLD_VERSION;
  if (!SUPPORTED_WORLD_VERSIONS.includes(witVersion)) {
    throw new PluginError('build-failed', `cannot build for ${WIT_PACKAGE}@${witVersion}: this pocket-wit knows ${SUPPORTED_WORLD_VERSIONS.join(', ')}; pick one of those`);
  }
  const ctx: LanguageBuildContext = { witVersion, steps };
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
  return { project, out, bytes, engine: built.engine, witVersion };
}
