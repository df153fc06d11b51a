/**
 * `pocket-wit install <dir|file.wasm|file.tgz> [--name N] [--yes] [--force] [--dir D]`
 *
 * Before the consent prompt nothing of the plugin runs: the component is only read (its
 * `pocket-wit:plugin` section: identity, nodes, the permissions that will be enforced) and
 * checked against the host's world. A component without the section (another toolchain built it)
 * is asked for its `metadata()`, and only that, in a sandboxed worker with nothing granted (no
 * environment, files or network; the default memory and time limits). An archive is never built: it must carry its component
 * (`pocket-wit pack` puts it there). A project directory, the author's own folder, is built
 * first. Once the user consents, the plugin's metadata and declared examples run in a worker,
 * under exactly the consented permissions, and the consent is recorded in the lock file.
 */
import type { CAC } from 'cac';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  consentFor,
  describeComponent,
  installComponent,
  isPluginError,
  PluginError,
  pluginsDir,
  probePlugin,
  readComponent,
  summarizePermissions,
  transpileComponent,
  type PluginDescription,
} from '../../host/src/index.js';
import { withPackedPlugin } from '../plugin-package.js';
import { resolvePluginFile } from '../plugin-source.js';
import { confirm } from '../ui/confirm.js';
import { createStepReporter, type StepReporter } from '../ui/steps.js';
import { formatPermissions } from './info.js';

interface InstallOptions {
  name?: string;
  yes?: boolean;
  force?: boolean;
  dir?: string;
  json?: boolean;
}

function refused(source: string, problems: { check: string; message: string }[]): PluginError {
  return new PluginError('invalid-plugin', `${source} did not pass validation, so it was not installed:\n${problems.map((p) => `  - [${p.check}] ${p.message}`).join('\n')}`, {
    details: { problems },
  });
}

/**
 * Read the component and check it against this host. A component `pocket-wit build` made runs
 * none of its code here; one another toolchain made (no `pocket-wit:plugin` section) has its
 * `metadata()` called in a sandboxed worker with nothing granted, and nothing else.
 */
async function inspect(file: string, source: string): Promise<PluginDescription> {
  try {
    const component = await readComponent(file);
    await transpileComponent(component); // the world is one this host runs; generates glue, runs nothing
    return await describeComponent(file);
  } catch (err) {
    if (!isPluginError(err)) throw err;
    throw refused(source, [{ check: 'component', message: err.message }]);
  }
}

async function installFile(file: string, sourceArg: string, opts: InstallOptions, steps: StepReporter): Promise<void> {
  const d = await steps.step('reading the component', () => inspect(file, sourceArg));
  const name = opts.name ?? d.name;
  if (d.describedBy === 'metadata') {
    process.stderr.write(`${file} has no pocket-wit:plugin section (another toolchain built it): what follows is what its metadata() declared, run in the sandbox with nothing granted\n`);
  }
  process.stderr.write(`${name} ${d.version}: ${d.description}\n  nodes: ${d.nodes.map((n) => `${n.type} (${n.category})`).join(', ')}\n  permissions: ${summarizePermissions(d.permissions)}\n${formatPermissions(d.permissions, '    ')}`);
  if (!(await confirm(`install ${name} ${d.version}?`, opts.yes))) {
    process.stderr.write('not installed\n');
    return;
  }
  // What was shown is what is consented to, and all the plugin gets, from its examples on.
  const consented = consentFor(d.permissions);
  let probe;
  try {
    probe = await steps.step('running metadata and examples in a worker', () => probePlugin({ file, runExamples: true, permissions: consented }));
  } catch (err) {
    if (!isPluginError(err)) throw err;
    throw refused(sourceArg, [{ check: 'metadata', message: err.message }]);
  }
  const failed = probe.examples.filter((ex) => ex.status === 'fail');
  if (failed.length > 0) {
    throw refused(
      sourceArg,
      failed.map((ex) => ({
        check: 'example',
        message: ex.error
          ? `example "${ex.example}" of node ${ex.node} failed: error[${ex.error.code}] ${ex.error.message}`
          : `example "${ex.example}" of node ${ex.node} produced ${JSON.stringify(ex.actual)}, but declares ${JSON.stringify(ex.expected)}`,
      })),
    );
  }
  const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
  const outcome = await installComponent(dir, { file, source: resolve(sourceArg), consented, ...(opts.name ? { name: opts.name } : {}), ...(opts.force ? { force: true } : {}) });
  const summary = { status: outcome.status, name: outcome.name, version: outcome.entry.version, sha256: outcome.entry.sha256, dir, ...(outcome.previous ? { previous: outcome.previous.version } : {}) };
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else if (outcome.status === 'unchanged') process.stdout.write(`${name} ${summary.version} is already installed (same sha256)\n`);
  else process.stdout.write(`${outcome.status} ${name} ${summary.version}${outcome.previous ? ` (was ${outcome.previous.version})` : ''} → ${dir}\n`);
}

export function registerInstall(cli: CAC): void {
  cli
    .command('install <source>', 'Install a plugin (project directory, .wasm or .tgz from `pocket-wit pack`) into the plugin directory')
    .option('--name <name>', 'Install under this name (default: the manifest name)')
    .option('--yes', 'Do not ask for confirmation')
    .option('--force', 'Replace an installed plugin of another version or build')
    .option('--dir <dir>', 'Plugin directory (default: $POCKET_HOME/plugins, i.e. ~/.pocket/plugins)')
    .option('--json', 'Print the result as JSON')
    .example('pocket-wit install ./my-plugin --yes')
    .example('pocket-wit install my-plugin-1.0.0.tgz')
    .action(async (sourceArg: string, opts: InstallOptions) => {
      const steps = createStepReporter();
      if (!existsSync(sourceArg)) throw new PluginError('not-found', `nothing to install at ${sourceArg}: give a plugin project directory, a .wasm component or a .tgz from \`pocket-wit pack\``);
      if (/\.(tgz|tar\.gz|tar)$/i.test(sourceArg) && !statSync(sourceArg).isDirectory()) {
        // An archive: unpacked within limits, its prebuilt component used as it is, never built.
        await withPackedPlugin(sourceArg, (component) => installFile(component, sourceArg, opts, steps));
        return;
      }
      // A project directory (the author's own, built here) or a .wasm component.
      const file = statSync(sourceArg).isDirectory() ? await resolvePluginFile(sourceArg, steps) : sourceArg;
      await installFile(file, sourceArg, opts, steps);
    });
}
