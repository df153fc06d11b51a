/**
 * `pocket-wit install <dir|file.wasm|file.tgz|npm:package[@range]> [--name N] [--yes] [--force] [--dir D] [--registry URL]`
 *
 * Before the consent prompt nothing of the plugin runs: the component is only read (its
 * `pocket-wit:plugin` section: identity, nodes, the permissions that will be enforced) and
 * checked against the host's world. A component without the section (another toolchain built it)
 * is asked for its `metadata()`, and only that, in a sandboxed worker with nothing granted (no
 * environment, files or network; the default memory and time limits). An archive is never built: it must carry its component
 * (`pocket-wit pack` puts it there). A project directory, the author's own folder, is built
 * first. A package from an npm registry (`npm:<package>[@range]`) is downloaded with the registry's
 * integrity checked, then installed as its archive (tools/registry/install-npm.ts). Once the user consents, the plugin's metadata and declared examples run in a worker,
 * under exactly the consented permissions, and the consent is recorded in the lock file.
 */
import type { CAC } from 'cac';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PluginError } from '../../host/src/index.js';
import { installPluginFile, reportInstall, type InstallPluginOptions } from '../install-plugin.js';
import { withPackedPlugin } from '../plugin-package.js';
import { resolvePluginFile } from '../plugin-source.js';
import { installFromRegistry } from '../registry/install-npm.js';
import { npmConfig } from '../registry/npm-config.js';
import { isNpmSpec, parseNpmSpec } from '../registry/npm-package.js';
import { createStepReporter } from '../ui/steps.js';

interface InstallOptions extends Omit<InstallPluginOptions, 'registry' | 'update' | 'grantNewPermissions'> {
  json?: boolean;
  registry?: string;
}

export function registerInstall(cli: CAC): void {
  cli
    .command('install <source>', 'Install a plugin (project directory, .wasm, .tgz from `pocket-wit pack`, or npm:<package>[@range] from a registry) into the plugin directory')
    .option('--name <name>', 'Install under this name (default: the manifest name)')
    .option('--yes', 'Do not ask for confirmation')
    .option('--force', 'Replace an installed plugin of another version or build')
    .option('--dir <dir>', 'Plugin directory (default: $POCKET_HOME/plugins, i.e. ~/.pocket/plugins)')
    .option('--registry <url>', 'npm registry for npm: sources (default: from .npmrc, else registry.npmjs.org)')
    .option('--json', 'Print the result as JSON')
    .example('pocket-wit install ./my-plugin --yes')
    .example('pocket-wit install my-plugin-1.0.0.tgz')
    .example('pocket-wit install npm:word-stats@^1.0.0')
    .action(async (sourceArg: string, opts: InstallOptions) => {
      const steps = createStepReporter();
      const { json, registry, ...install } = opts;
      if (isNpmSpec(sourceArg)) {
        const spec = parseNpmSpec(sourceArg);
        reportInstall(await installFromRegistry(spec, npmConfig(registry ? { registry } : {}), install, steps), json);
        return;
      }
      if (registry) throw new PluginError('invalid-input', `--registry goes with an npm: source (npm:<package>[@range]), not ${sourceArg}`);
      if (!existsSync(sourceArg)) throw new PluginError('not-found', `nothing to install at ${sourceArg}: give a plugin project directory, a .wasm component, a .tgz from \`pocket-wit pack\` or npm:<package>[@range]`);
      if (/\.(tgz|tar\.gz|tar)$/i.test(sourceArg) && !statSync(sourceArg).isDirectory()) {
        // An archive: unpacked within limits, its prebuilt component used as it is, never built.
        reportInstall(await withPackedPlugin(sourceArg, (component) => installPluginFile(component, resolve(sourceArg), install, steps, sourceArg)), json);
        return;
      }
      // A project directory (the author's own, built here) or a .wasm component.
      const file = statSync(sourceArg).isDirectory() ? await resolvePluginFile(sourceArg, steps) : sourceArg;
      reportInstall(await installPluginFile(file, resolve(sourceArg), install, steps, sourceArg), json);
    });
}
