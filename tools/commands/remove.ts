/** `pocket-wit remove <name> [--yes]` */
import type { CAC } from 'cac';
import { resolve } from 'node:path';
import { readLock, removeInstalled, pluginsDir, PluginError } from '../../host/src/index.js';
import { confirm } from '../ui/confirm.js';

export function registerRemove(cli: CAC): void {
  cli
    .command('remove <name>', 'Remove an installed plugin (its files and its lock entry)')
    .option('--yes', 'Do not ask for confirmation')
    .option('--dir <dir>', 'Plugin directory (default: $POCKET_HOME/plugins)')
    .action(async (name: string, opts: { yes?: boolean; dir?: string }) => {
      const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
      const entry = readLock(dir).plugins[name];
      if (!entry) throw new PluginError('not-found', `no installed plugin named ${name} in ${dir}; see \`pocket-wit list\``);
      if (!(await confirm(`remove ${name} ${entry.version}?`, opts.yes))) {
        process.stderr.write('not removed\n');
        return;
      }
      await removeInstalled(dir, name);
      process.stdout.write(`removed ${name} ${entry.version}\n`);
    });
}
