/** `pocket-wit build [dir] [-o out.wasm] [--engine quickjs|starlingmonkey] [--no-typecheck]` */
import type { CAC } from 'cac';
import { buildPlugin } from '../build/build.js';
import { JS_ENGINES } from '../build/componentize-js.js';
import type { JsEngine } from '../build/bundle-ts.js';
import { UsageError } from '../cli-support.js';
import { requireProjectArg } from '../plugin-source.js';
import { createStepReporter } from '../ui/steps.js';
import { SUPPORTED_WORLD_VERSIONS, WORLD_VERSION } from '../build/toolchain.js';
import { formatSize } from '../ui/format.js';

export function registerBuild(cli: CAC): void {
  cli
    .command('build [dir]', 'Build a plugin project into one WebAssembly component')
    .option('-o, --out <file>', 'Output .wasm path (default: manifest "binary", else dist/<name>.wasm)')
    .option('--engine <engine>', `JS engine for TypeScript plugins: ${JS_ENGINES.join(' | ')} (default: the manifest's engine, else quickjs)`)
    .option('--no-typecheck', 'Skip type-checking a TypeScript plugin (tsconfig.json, else the settings init writes)')
    .option('--wit-version <version>', `The pocket:plugin version to build against (default: the newest, ${WORLD_VERSION})`)
    .option('--json', 'Print the result as JSON')
    .example('pocket-wit build ./my-plugin')
    .example('pocket-wit build ./my-plugin --engine starlingmonkey -o my-plugin.wasm')
    .action(async (dir: string | undefined, opts: { out?: string; engine?: string; witVersion?: string; json?: boolean; typecheck?: boolean }) => {
      if (opts.witVersion !== undefined && !SUPPORTED_WORLD_VERSIONS.includes(String(opts.witVersion))) {
        throw new UsageError(`--wit-version must be one of ${SUPPORTED_WORLD_VERSIONS.join(', ')} (got "${opts.witVersion}")`);
      }
      if (opts.engine !== undefined && !JS_ENGINES.includes(opts.engine as JsEngine)) {
        throw new UsageError(`--engine must be one of ${JS_ENGINES.join(', ')} (got "${opts.engine}")`);
      }
      if (dir !== undefined) requireProjectArg(dir, 'build');
      const result = await buildPlugin(dir ?? '.', {
        ...(opts.out ? { out: opts.out } : {}),
        ...(opts.engine ? { engine: opts.engine as JsEngine } : {}),
        ...(opts.witVersion ? { witVersion: String(opts.witVersion) } : {}),
        ...(opts.typecheck === false ? { typecheck: false } : {}),
        steps: createStepReporter(),
      });
      for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
      const summary = {
        name: result.project.manifest.name,
        version: result.project.manifest.version,
        out: result.out,
        engine: result.engine,
        size: result.bytes.length,
        world: `pocket:plugin@${result.witVersion}`,
        ...(result.typecheck ? { typecheckMs: result.typecheck.ms } : {}),
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stdout.write(`built ${summary.name}@${summary.version} → ${summary.out} (${summary.engine}, ${formatSize(summary.size)}, ${summary.world})\n`);
    });
}
