/** Builds TypeScript/JavaScript plugin projects: esbuild bundle, then QuickJS or StarlingMonkey. */
import { bundlePluginWithImports, type JsEngine } from '../bundle-ts.js';
import { componentizeJs } from '../componentize-js.js';
import type { LanguageBuildContext, LanguageBuildResult } from './builder.js';
import type { PluginProject } from '../project.js';
import { worldWasiImports } from '../wasi-world.js';

function kb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

export async function buildTypeScript(project: PluginProject, ctx: LanguageBuildContext, engine: JsEngine): Promise<LanguageBuildResult> {
  const bundled = await ctx.steps.step('bundling TypeScript', () => bundlePluginWithImports(project, engine, ctx.witVersion), (b) => kb(b.source.length));
  await ctx.beforeCompile?.();
  // WASI imports: those of the capabilities linked in plus any wasi: module the plugin imports itself.
  const wasi = worldWasiImports(bundled.capabilities, bundled.wasiImports);
  const label = `componentizing with ${engine}${wasi.length ? ` (imports ${wasi.join(', ')})` : ''}`;
  const component = await ctx.steps.step(label, () => componentizeJs(bundled.source, engine, ctx.witVersion, wasi), (b) => kb(b.length));
  return { component, engine };
}
