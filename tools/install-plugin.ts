/**
 * Installing one component, the one path every source takes (a project, a `.wasm`, a `.tgz`, an
 * npm package, an update, a workflow's missing plugin):
 *
 * 1. read it without running it (its `pocket-wit:plugin` section; a component without one has
 *    only its `metadata()` called, sandboxed with nothing granted) and check its world;
 * 2. show what it is and the permissions it asks for, and ask (`--yes` answers in scripts). An
 *    update that asks for more than the installed version was granted shows the difference and
 *    asks again: `--yes` does not answer that, `--grant-new-permissions` does;
 * 3. only then run its metadata and declared examples, under exactly the consented permissions;
 * 4. copy it into the plugin directory and record the consent (and, from a registry, the
 *    package, range and integrity) in the lock file.
 */
import { resolve } from 'node:path';
import {
  consentFor,
  describeComponent,
  describeGrowth,
  installComponent,
  isPluginError,
  permissionGrowth,
  PluginError,
  pluginsDir,
  probePlugin,
  readComponent,
  readLock,
  summarizePermissions,
  transpileComponent,
  type LockEntry,
  type PluginDescription,
  type RegistrySource,
} from '../host/src/index.js';
import { formatPermissions } from './commands/info.js';
import { confirm } from './ui/confirm.js';
import type { StepReporter } from './ui/steps.js';

export interface InstallPluginOptions {
  /** Install under this name (default: the manifest's). */
  name?: string;
  /** Consent without asking (not to more permissions than an update's installed version had). */
  yes?: boolean;
  /** Replace an installed plugin of another version or build. */
  force?: boolean;
  /** The plugin directory (default: `$POCKET_HOME/plugins`). */
  dir?: string;
  /**
   * An update of an installed plugin: it replaces it, and asks again when it asks for more
   * permissions than were consented to for the installed version.
   */
  update?: boolean;
  /** Consent to an update's new permissions in a script (what `--yes` alone does not). */
  grantNewPermissions?: boolean;
  /** Recorded in the lock entry: the npm package it came from. */
  registry?: RegistrySource;
}

export interface InstallResult {
  status: 'installed' | 'replaced' | 'unchanged' | 'declined';
  name: string;
  version: string;
  sha256: string;
  dir: string;
  /** The version it replaced. */
  previous?: string;
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

/**
 * Ask for consent to the permissions shown, or (an update asking for more than `previous` was
 * granted) to the difference, which `--yes` alone does not answer.
 */
async function consent(name: string, d: PluginDescription, previous: LockEntry | undefined, opts: InstallPluginOptions): Promise<boolean> {
  const growth = opts.update && previous?.consented ? permissionGrowth(previous.consented, consentFor(d.permissions)) : [];
  if (growth.length === 0) return confirm(`${opts.update && previous ? `update ${name} ${previous.version} → ${d.version}` : `install ${name} ${d.version}`}?`, opts.yes);
  process.stderr.write(`${name} ${d.version} asks for more than ${previous!.version} was granted:\n${describeGrowth(growth, '  ')}\n`);
  if (opts.grantNewPermissions) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new PluginError(
      'permission-denied',
      `${name} ${d.version} asks for more permissions than the installed ${previous!.version} was granted (${growth.map((g) => g.field).join(', ')}), and --yes does not consent to new permissions; nothing was changed — run it in a terminal to be asked, or pass --grant-new-permissions`,
      { details: { plugin: name, installed: previous!.version, offered: d.version, growth } },
    );
  }
  return confirm(`grant ${name} ${d.version} these new permissions and update it?`, false);
}

/**
 * Install `file` (see the module comment). `source` is recorded in the lock file as where it came
 * from; `shown` names it in messages (default: `source`).
 */
export async function installPluginFile(file: string, source: string, opts: InstallPluginOptions, steps: StepReporter, shown = source): Promise<InstallResult> {
  const d = await steps.step('reading the component', () => inspect(file, shown));
  const name = opts.name ?? d.name;
  const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
  if (d.describedBy === 'metadata') {
    process.stderr.write(`${file} has no pocket-wit:plugin section (another toolchain built it): what follows is what its metadata() declared, run in the sandbox with nothing granted\n`);
  }
  process.stderr.write(`${name} ${d.version}: ${d.description}\n  nodes: ${d.nodes.map((n) => `${n.type} (${n.category})`).join(', ')}\n  permissions: ${summarizePermissions(d.permissions)}\n${formatPermissions(d.permissions, '    ')}`);
  const previous = readLock(dir).plugins[name];
  if (!(await consent(name, d, previous, opts))) {
    process.stderr.write(opts.update ? 'not updated\n' : 'not installed\n');
    return { status: 'declined', name, version: d.version, sha256: d.sha256, dir };
  }
  // What was shown is what is consented to, and all the plugin gets, from its examples on.
  const consented = consentFor(d.permissions);
  let probe;
  try {
    probe = await steps.step('running metadata and examples in a worker', () => probePlugin({ file, runExamples: true, permissions: consented }));
  } catch (err) {
    if (!isPluginError(err)) throw err;
    throw refused(shown, [{ check: 'metadata', message: err.message }]);
  }
  const failed = probe.examples.filter((ex) => ex.status === 'fail');
  if (failed.length > 0) {
    throw refused(
      shown,
      failed.map((ex) => ({
        check: 'example',
        message: ex.error
          ? `example "${ex.example}" of node ${ex.node} failed: error[${ex.error.code}] ${ex.error.message}`
          : `example "${ex.example}" of node ${ex.node} produced ${JSON.stringify(ex.actual)}, but declares ${JSON.stringify(ex.expected)}`,
      })),
    );
  }
  const outcome = await installComponent(dir, {
    file,
    source,
    consented,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.force || opts.update ? { force: true } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}),
  });
  return { status: outcome.status, name: outcome.name, version: outcome.entry.version, sha256: outcome.entry.sha256, dir, ...(outcome.previous ? { previous: outcome.previous.version } : {}) };
}

/** The one-line report of an install, or its JSON. */
export function reportInstall(r: InstallResult, json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else if (r.status === 'declined') return;
  else if (r.status === 'unchanged') process.stdout.write(`${r.name} ${r.version} is already installed (same sha256)\n`);
  else process.stdout.write(`${r.status} ${r.name} ${r.version}${r.previous ? ` (was ${r.previous})` : ''} → ${r.dir}\n`);
}
