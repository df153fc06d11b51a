/** `pocket-wit remove <name> [--yes] [--dir D] [--json]` */
import type { CAC } from 'cac';
import { resolve } from 'node:path';
import { readLock, removeInstalled, pluginsDir, PluginError } from '../../host/src/index.js';
import { confirm } from '../ui/confirm.js';

/** What `remove --json` prints: one line. `kept`: the user answered no at the prompt. */
export interface RemoveSummary {
  status: 'removed' | 'kept';
  name: string;
  version: string;
  sha256: string;
  /** The plugin directory it was removed from. */
  dir: string;
}

export function registerRemove(cli: CAC): void {
  cli
    .command('remove <name>', 'Remove an installed plugin (its files and its lock entry)')
    .option('--yes', 'Do not ask for confirmation')
    .option('--dir <dir>', 'Plugin directory (default: $POCKET_HOME/plugins)')
    .option('--json', 'Print {"status","name","version","sha256","dir"} as JSON')
    .example('pocket-wit remove my-plugin --yes')
    .action(async (name: string, opts: { yes?: boolean; dir?: string; json?: boolean }) => {
      const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
      const entry = readLock(dir).plugins[name];
      if (!entry) throw new PluginError('not-found', `no installed plugin named ${name} in ${dir}; see \`pocket-wit list\``);
      const summary = (status: RemoveSummary['status']): RemoveSummary => ({ status, name, version: entry.version, sha256: entry.sha256, dir });
      if (!(await confirm(`remove ${name} ${entry.version}?`, opts.yes))) {
        if (opts.json) process.stdout.write(`${JSON.stringify(summary('kept'))}\n`);
        process.stderr.write('not removed\n');
        return;
      }
      await removeInstalled(dir, name);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary('removed'))}\n`);
      else process.stdout.write(`removed ${name} ${entry.version}\n`);
    });
}
