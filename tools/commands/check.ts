/**
 * `pocket-wit check <plugin.wasm|dir> [--world <wit>] [--json]`: does this plugin work with this
 * host (or with the host WIT given)? `pocket-wit check --old <wit> --new <wit> [--json]`: what
 * does a WIT change break, and does its version number say so (the diff explains, wit-component's
 * semver_check has the last word on the verdict)? Exit 0: compatible / version bump sufficient; 1: not.
 */
import type { CAC } from 'cac';
import pc from 'picocolors';
import { SilentFailure, UsageError } from '../cli-support.js';
import { resolvePluginFile } from '../plugin-source.js';
import { createStepReporter } from '../ui/steps.js';
import { checkPlugin, formatPluginCheck } from '../wit/check-plugin.js';
import { checkWitChange } from '../wit/compat.js';
import { formatDiff } from '../wit/diff.js';

interface CheckOptions {
  world?: string;
  old?: string;
  new?: string;
  json?: boolean;
}

export function registerCheck(cli: CAC): void {
  cli
    .command('check [plugin]', 'Check a plugin against this host, or compare two versions of a WIT package (--old/--new)')
    .option('--world <wit>', 'Check the plugin against this host WIT (a .wit file or folder) instead of the versions this host runs')
    .option('--old <wit>', 'The old WIT: a .wit file, a WIT folder, or a .wasm component')
    .option('--new <wit>', 'The new WIT, as --old')
    .option('--json', 'Print the result as JSON')
    .example('pocket-wit check ./my-plugin/dist/my-plugin.wasm')
    .example('pocket-wit check --old old/pocket-plugin.wit --new pocket-plugin.wit')
    .action(async (plugin: string | undefined, opts: CheckOptions) => {
      const color = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && !opts.json);
      const pair = opts.old !== undefined || opts.new !== undefined;
      if (pair) {
        if (plugin !== undefined) throw new UsageError('give either a plugin, or --old and --new, not both');
        if (typeof opts.old !== 'string' || typeof opts.new !== 'string') throw new UsageError('--old and --new go together: pocket-wit check --old <wit> --new <wit>');
        if (opts.world !== undefined) throw new UsageError('--world applies to checking a plugin, not to --old/--new');
        const diff = await checkWitChange(opts.old, opts.new);
        if (opts.json) process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
        else process.stdout.write(`${formatDiff(diff, { color: color.isColorSupported }).replace(/\n*$/, '')}\n`);
        if (!diff.ok) throw new SilentFailure();
        return;
      }
      if (plugin === undefined) throw new UsageError('give a plugin (.wasm or project folder) to check, or --old <wit> --new <wit> to compare WIT versions');
      const file = await resolvePluginFile(plugin, createStepReporter());
      const report = await checkPlugin(file, opts.world ? { world: opts.world } : {});
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(formatPluginCheck(report, { ok: (s) => color.green(s), bad: (s) => color.red(s), dim: (s) => color.dim(s) }));
      if (!report.compatible) throw new SilentFailure();
    });
}
