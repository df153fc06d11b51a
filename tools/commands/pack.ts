/**
 * `pocket-wit pack <dir> [-o file.tgz] [--json]`: a plugin as one archive, installable with
 * `pocket-wit install`. Builds the project first (when stale) and carries the component as
 * `package/plugin.wasm`: installing an archive never builds it.
 */
import type { CAC } from 'cac';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readProject } from '../build/project.js';
import { packPlugin } from '../plugin-package.js';
import { requireProjectArg } from '../plugin-source.js';
import { createStepReporter } from '../ui/steps.js';

/** What `pack --json` prints: one line. */
export interface PackSummary {
  name: string;
  version: string;
  /** The archive, an absolute path. */
  file: string;
  /** The archive's size in bytes. */
  size: number;
  /** sha256 of the archive, hex. */
  sha256: string;
  /** What is under `package/` in it: the manifest, `plugin.wasm`, then sources. */
  entries: string[];
}

export function registerPack(cli: CAC): void {
  cli
    .command('pack [dir]', 'Build and pack a plugin project (manifest, built component as plugin.wasm, sources) into a .tgz')
    .option('-o, --out <file>', 'Archive path (default: ./<name>-<version>.tgz)')
    .option('--json', 'Print {"name","version","file","size","sha256","entries"} as JSON')
    .example('pocket-wit pack ./my-plugin -o my-plugin.tgz')
    .action(async (dir: string | undefined, opts: { out?: string; json?: boolean }) => {
      const { manifest } = readProject(dir ?? '.');
      if (dir !== undefined) requireProjectArg(dir, 'pack');
      const { file, entries } = await packPlugin(dir ?? '.', createStepReporter(), opts.out ? { out: opts.out } : {});
      const bytes = readFileSync(file);
      const summary: PackSummary = {
        name: manifest.name,
        version: manifest.version,
        file: resolve(file),
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        entries,
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stdout.write(`packed ${entries.join(', ')} → ${file}\n`);
    });
}
