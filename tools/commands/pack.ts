/**
 * `pocket-wit pack <dir> [-o file.tgz]`: a plugin as one archive, installable with `pocket-wit
 * install`. Builds the project first (when stale) and carries the component as
 * `package/plugin.wasm`: installing an archive never builds it.
 */
import type { CAC } from 'cac';
import { packPlugin } from '../plugin-package.js';
import { createStepReporter } from '../ui/steps.js';

export function registerPack(cli: CAC): void {
  cli
    .command('pack [dir]', 'Build and pack a plugin project (manifest, built component as plugin.wasm, sources) into a .tgz')
    .option('-o, --out <file>', 'Archive path (default: ./<name>-<version>.tgz)')
    .action(async (dir: string | undefined, opts: { out?: string }) => {
      const { file, entries } = await packPlugin(dir ?? '.', createStepReporter(), opts.out);
      process.stdout.write(`packed ${entries.join(', ')} → ${file}\n`);
    });
}
