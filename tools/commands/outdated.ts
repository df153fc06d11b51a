/** `pocket-wit outdated [names...] [--dir D] [--json]`: installed registry plugins with newer versions. */
import type { CAC } from 'cac';
import { resolve } from 'node:path';
import { pluginsDir } from '../../host/src/index.js';
import { npmConfig } from '../registry/npm-config.js';
import { outdatedPlugins } from '../registry/updates.js';
import { table } from '../ui/table.js';

export function registerOutdated(cli: CAC): void {
  cli
    .command('outdated [...names]', 'Show installed plugins from a registry that have newer versions (wanted: newest within the recorded range)')
    .option('--dir <dir>', 'Plugin directory (default: $POCKET_HOME/plugins)')
    .option('--json', 'Print [{"name","package","current","wanted","latest","range","registry"}] as JSON')
    .example('pocket-wit outdated')
    .action(async (names: string[], opts: { dir?: string; json?: boolean }) => {
      const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
      const rows = await outdatedPlugins(dir, npmConfig(), names);
      const behind = rows.filter((r) => r.wanted !== r.current || r.latest !== r.current);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(behind)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(`no plugins from a registry are installed in ${dir}\n`);
        return;
      }
      if (behind.length === 0) {
        process.stdout.write(`all ${rows.length} plugin${rows.length === 1 ? '' : 's'} from a registry are up to date\n`);
        return;
      }
      process.stdout.write(table(['NAME', 'CURRENT', 'WANTED', 'LATEST', 'RANGE', 'PACKAGE'], behind.map((r) => [r.name, r.current, r.wanted, r.latest, r.range, r.package])));
      if (behind.some((r) => r.wanted !== r.current)) process.stdout.write('update with: pocket-wit update [name]\n');
    });
}
