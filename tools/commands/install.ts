/** `pocket-wit install <dir|file.wasm|file.tgz> [--name N] [--yes] [--force] [--dir D]` */
import type { CAC } from 'cac';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { installComponent, PluginError, pluginsDir, summarizePermissions, describeComponent } from '../../host/src/index.js';
import { unpackPlugin } from '../plugin-package.js';
import { resolvePluginFile } from '../plugin-source.js';
import { confirm } from '../ui/confirm.js';
import { createStepReporter } from '../ui/steps.js';
import { validatePlugin } from '../validate-plugin.js';
import { formatPermissions } from './info.js';

export function registerInstall(cli: CAC): void {
  cli
    .command('install <source>', 'Install a plugin (project directory, .wasm or .tgz) into the plugin directory')
    .option('--name <name>', 'Install under this name (default: the manifest name)')
    .option('--yes', 'Do not ask for confirmation')
    .option('--force', 'Replace an installed plugin of another version or build')
    .option('--dir <dir>', 'Plugin directory (default: $POCKET_HOME/plugins, i.e. ~/.pocket/plugins)')
    .option('--json', 'Print the result as JSON')
    .example('pocket-wit install examples/sentiment-analyzer --yes')
    .action(async (sourceArg: string, opts: { name?: string; yes?: boolean; force?: boolean; dir?: string; json?: boolean }) => {
      const steps = createStepReporter();
      if (!existsSync(sourceArg)) throw new PluginError('not-found', `nothing to install at ${sourceArg}: give a plugin project directory, a .wasm component or a .tgz from \`pocket-wit pack\``);
      const file = sourceArg.endsWith('.tgz')
        ? await steps.step('unpacking', () => unpackPlugin(sourceArg, steps))
        : statSync(sourceArg).isDirectory()
          ? await resolvePluginFile(sourceArg, steps)
          : sourceArg;
      const report = await validatePlugin(file, steps);
      if (report.problems.length > 0) {
        throw new PluginError('invalid-plugin', `${sourceArg} did not pass validation, so it was not installed:\n${report.problems.map((p) => `  - [${p.check}] ${p.message}`).join('\n')}`, {
          details: { problems: report.problems },
        });
      }
      const d = await describeComponent(file);
      const name = opts.name ?? d.name;
      process.stderr.write(`${name} ${d.version}: ${d.description}\n  nodes: ${d.nodes.map((n) => `${n.type} (${n.category})`).join(', ')}\n  permissions: ${summarizePermissions(d.permissions)}\n${formatPermissions(d.permissions, '    ')}`);
      if (!(await confirm(`install ${name} ${d.version}?`, opts.yes))) {
        process.stderr.write('not installed\n');
        return;
      }
      const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
      const outcome = await installComponent(dir, { file, source: resolve(sourceArg), ...(opts.name ? { name: opts.name } : {}), ...(opts.force ? { force: true } : {}) });
      const summary = { status: outcome.status, name: outcome.name, version: outcome.entry.version, sha256: outcome.entry.sha256, dir, ...(outcome.previous ? { previous: outcome.previous.version } : {}) };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else if (outcome.status === 'unchanged') process.stdout.write(`${name} ${summary.version} is already installed (same sha256)\n`);
      else process.stdout.write(`${outcome.status} ${name} ${summary.version}${outcome.previous ? ` (was ${outcome.previous.version})` : ''} → ${dir}\n`);
    });
}
