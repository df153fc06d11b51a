/** Builds TypeScript/JavaScript plugin projects: esbuild bundle, then QuickJS or StarlingMonkey. */
import { bundlePlugin, type JsEngine } from '../bundle-ts.js';
import { componentizeJs } from '../componentize-js.js';
import type { LanguageBuildContext, LanguageBuildResult } from './builder.js';
import type { PluginProject } from '../project.js';

function kb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

export async function buildTypeScript(project: PluginProject, ctx: LanguageBuildContext, engine: JsEngine): Promise<LanguageBuildResult> {
  const source = await ctx.steps.step('bundling TypeScript', () => bundlePlugin(project, engine, ctx.witVersion), (s) => kb(s.length));
  const component = await ctx.steps.step(`componentizing with ${engine}`, () => componentizeJs(source, engine, ctx.witVersion), (b) => kb(b.length));
  return { component, engine };
}
