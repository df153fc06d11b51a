/**
 * `pocket-wit update [names...] [--yes] [--grant-new-permissions] [--dir D] [--json]`: install the
 * newest version within each registry plugin's recorded range. An update asking for more
 * permissions than the installed version was granted shows the difference and needs consent
 * again: in a terminal it asks; in a script `--yes` is not enough, `--grant-new-permissions` is.
 */
import type { CAC } from 'cac';
import { resolve } from 'node:path';
import { isPluginError, PluginError, pluginsDir } from '../../host/src/index.js';
import { SilentFailure } from '../cli-support.js';
import { reportInstall } from '../install-plugin.js';
import { installResolved } from '../registry/install-npm.js';
import { resolvePackage } from '../registry/npm-client.js';
import { npmConfig, withRegistry } from '../registry/npm-config.js';
import { outdatedPlugins } from '../registry/updates.js';
import { createStepReporter } from '../ui/steps.js';

interface UpdateOptions {
  dir?: string;
  yes?: boolean;
  grantNewPermissions?: boolean;
  json?: boolean;
}

export function registerUpdate(cli: CAC): void {
  cli
    .command('update [...names]', 'Update installed registry plugins to the newest version within their recorded range; more permissions need consent again')
    .option('--dir <dir>', 'Plugin directory (default: $POCKET_HOME/plugins)')
    .option('--yes', 'Do not ask (for updates that ask for no new permissions)')
    .option('--grant-new-permissions', 'Consent to the new permissions an update asks for, without asking')
    .option('--json', 'Print one JSON line per plugin updated or refused')
    .example('pocket-wit update')
    .example('pocket-wit update word-stats --yes')
    .action(async (names: string[], opts: UpdateOptions) => {
      const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
      const config = npmConfig();
      const steps = createStepReporter();
      const rows = (await outdatedPlugins(dir, config, names)).filter((r) => r.wanted !== r.current);
      if (rows.length === 0) {
        if (!opts.json) process.stdout.write(`nothing to update in ${dir}\n`);
        return;
      }
      let failures = 0;
      let firstCode: PluginError['code'] | undefined;
      for (const row of rows) {
        const from = withRegistry(config, row.registry);
        try {
          const pkg = await resolvePackage(`${row.package}@${row.wanted}`, row.package, from);
          const result = await installResolved(pkg, row.range, from, { dir, name: row.name, update: true, ...(opts.yes ? { yes: true } : {}), ...(opts.grantNewPermissions ? { grantNewPermissions: true } : {}) }, steps);
          reportInstall(result, opts.json);
        } catch (err) {
          // One plugin refused (new permissions without consent, a tampered tarball) leaves the others to update.
          if (!isPluginError(err) || rows.length === 1) throw err;
          failures += 1;
          firstCode ??= err.code;
          if (opts.json) process.stdout.write(`${JSON.stringify({ status: 'refused', name: row.name, version: row.wanted, error: err.toJSON() })}\n`);
          process.stderr.write(`error[${err.code}]: ${err.message}\n`);
        }
      }
      if (failures > 0) {
        if (opts.json) throw new SilentFailure();
        throw new PluginError(firstCode ?? 'permission-denied', `${failures} of ${rows.length} updates were refused (see above); the other plugins were updated`);
      }
    });
}
