/**
 * `flow --install-missing`: install from the registry what a workflow's `plugins:` pins name and
 * the plugin search path lacks. A pinned plugin not found anywhere is installed (consent as for
 * `install`: asked, or `--yes`); one installed at a version outside its range is updated within
 * the range (consent as for `update`: new permissions need `--grant-new-permissions`). A plugin
 * found outside the plugin directory (a `--plugins` folder, ./plugins) is the user's own copy and
 * is left alone; the workflow check reports a version outside the range.
 */
import { basename, dirname } from 'node:path';
import semver from 'semver';
import { parsePluginPin, pluginsDir, type WorkflowDef } from '../../host/src/index.js';
import type { FoundPlugin } from '../plugin-search.js';
import type { StepReporter } from '../ui/steps.js';
import { installFromRegistry } from './install-npm.js';
import type { NpmConfig } from './npm-config.js';

export interface InstallMissingOptions {
  yes?: boolean;
  grantNewPermissions?: boolean;
}

/** Install what `def`'s pins need and `found` lacks; returns how many plugins were installed or updated. */
export async function installMissing(def: WorkflowDef, found: FoundPlugin[], config: NpmConfig, opts: InstallMissingOptions, steps: StepReporter): Promise<number> {
  let changed = 0;
  for (const [name, value] of Object.entries(def.plugins ?? {})) {
    const pin = parsePluginPin(name, value);
    if (semver.validRange(pin.range) === null) continue; // the workflow check reports it
    const copies = found.filter((p) => p.name === name);
    if (copies.some((p) => p.version !== undefined && semver.satisfies(p.version, pin.range, { includePrerelease: true }))) continue;
    const first = copies[0];
    if (first && !first.installed) continue; // the user's own copy comes first on the path: not ours to replace
    process.stderr.write(first ? `the workflow pins ${name} ${pin.range}; installed is ${first.version ?? 'an unknown version'}: updating from npm:${pin.package}\n` : `the workflow pins ${name} ${pin.range}, which is not installed: installing npm:${pin.package}@${pin.range}\n`);
    const result = await installFromRegistry({ name: pin.package, range: pin.range }, config, {
      // An installed copy is updated where it is, under the name it was installed as.
      ...(first ? { dir: dirname(dirname(first.file)), name: basename(dirname(first.file)), update: true } : { dir: pluginsDir() }),
      ...(opts.yes ? { yes: true } : {}),
      ...(opts.grantNewPermissions ? { grantNewPermissions: true } : {}),
    }, steps);
    if (result.status === 'declined') continue;
    process.stderr.write(`${result.status} ${result.name} ${result.version}${result.previous ? ` (was ${result.previous})` : ''}\n`);
    changed += 1;
  }
  return changed;
}
