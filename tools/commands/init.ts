/** `pocket-wit init <dir> [--lang ts|rust|go|c] [--name <name>] [--engine quickjs|starlingmonkey]`: scaffold a plugin project. */
import type { CAC } from 'cac';
import { UsageError } from '../cli-support.js';
import type { JsEngine } from '../build/bundle-ts.js';
import { JS_ENGINES } from '../build/componentize-js.js';
import { INIT_LANGUAGES, scaffoldPlugin, shellQuote, type InitLanguage } from '../init/scaffold.js';

const NEXT: Record<InitLanguage, string> = {
  ts: 'edit src/index.ts (npx tsc --noEmit type-checks it; pocket-wit build does too)',
  rust: 'edit src/lib.rs (needs the Rust toolchain: sh scripts/install-toolchains.sh in pocket-wit)',
  go: 'edit main.go (needs Go 1.23: sh scripts/install-toolchains.sh in pocket-wit)',
  c: 'edit src/plugin.c (needs clang-14: sh scripts/install-toolchains.sh in pocket-wit)',
};

export function registerInit(cli: CAC): void {
  cli
    .command('init <dir>', 'Scaffold a plugin project that builds and runs as it is, with a test')
    .option('--lang <lang>', `Language: ${INIT_LANGUAGES.join(' | ')} (default: ts)`)
    .option('--name <name>', 'Plugin name, also its node type (default: from the folder name, lowercased, other characters as "-")')
    .option('--engine <engine>', `JS engine written to a TypeScript project's manifest: ${JS_ENGINES.join(' | ')} (default: quickjs)`)
    .option('--json', 'Print the result as JSON')
    .example('pocket-wit init my-plugin --lang rust')
    .action((dir: string, opts: { lang?: string; name?: string; engine?: string; json?: boolean }) => {
      const lang = (opts.lang ?? 'ts') as InitLanguage;
      if (!INIT_LANGUAGES.includes(lang)) throw new UsageError(`--lang must be one of ${INIT_LANGUAGES.join(', ')} (got "${opts.lang}")`);
      if (opts.engine !== undefined && !JS_ENGINES.includes(opts.engine as JsEngine)) {
        throw new UsageError(`--engine must be one of ${JS_ENGINES.join(', ')} (got "${opts.engine}")`);
      }
      if (opts.engine !== undefined && lang !== 'ts') throw new UsageError(`--engine is for TypeScript projects (--lang ts); ${lang} plugins are compiled, not run by a JS engine`);
      const result = scaffoldPlugin(dir, lang, {
        ...(typeof opts.name === 'string' ? { name: opts.name } : {}),
        ...(opts.engine ? { engine: opts.engine as JsEngine } : {}),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const d = shellQuote(dir);
      process.stdout.write(
        `created ${result.name} (${lang}${result.engine ? `, engine ${result.engine}` : ''}) in ${result.dir}, node type ${result.node}\n${result.files.map((f) => `  ${f}\n`).join('')}` +
          `next:\n  ${NEXT[lang]}\n  pocket-wit build ${d}\n  pocket-wit test ${d}     # runs the examples in manifest.yaml\n  pocket-wit run ${d} ${shellQuote(result.node)} --input '{"name":"Ada"}'\n`,
      );
    });
}
