/** `pocket-wit init <dir> [--lang ts|rust|go|c] [--name <name>]`: scaffold a plugin project. */
import type { CAC } from 'cac';
import { UsageError } from '../cli-support.js';
import { INIT_LANGUAGES, scaffoldPlugin, type InitLanguage } from '../init/scaffold.js';

const NEXT: Record<InitLanguage, string> = {
  ts: 'edit src/index.ts',
  rust: 'edit src/lib.rs (needs the Rust toolchain: sh scripts/install-toolchains.sh in pocket-wit)',
  go: 'edit main.go (needs Go 1.23: sh scripts/install-toolchains.sh in pocket-wit)',
  c: 'edit src/plugin.c (needs clang-14: sh scripts/install-toolchains.sh in pocket-wit)',
};

export function registerInit(cli: CAC): void {
  cli
    .command('init <dir>', 'Scaffold a plugin project that builds and runs as it is, with a test')
    .option('--lang <lang>', `Language: ${INIT_LANGUAGES.join(' | ')} (default: ts)`)
    .option('--name <name>', 'Plugin name (default: from the folder name)')
    .option('--json', 'Print the result as JSON')
    .example('pocket-wit init my-plugin --lang rust')
    .action((dir: string, opts: { lang?: string; name?: string; json?: boolean }) => {
      const lang = (opts.lang ?? 'ts') as InitLanguage;
      if (!INIT_LANGUAGES.includes(lang)) throw new UsageError(`--lang must be one of ${INIT_LANGUAGES.join(', ')} (got "${opts.lang}")`);
      const result = scaffoldPlugin(dir, lang, typeof opts.name === 'string' ? { name: opts.name } : {});
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      process.stdout.write(
        `created ${result.name} (${lang}) in ${result.dir}\n${result.files.map((f) => `  ${f}\n`).join('')}` +
          `next:\n  ${NEXT[lang]}\n  pocket-wit build ${dir}\n  pocket-wit test ${dir}     # runs the examples in manifest.yaml\n  pocket-wit run ${dir} hello --input '{"name":"Ada"}'\n`,
      );
    });
}
