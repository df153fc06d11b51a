/**
 * `install npm:<package>[@range]` and updates: the registry resolves the range, pacote downloads
 * the tarball and checks it against the registry's integrity, and the archive then takes the
 * same path as a `.tgz` from `pocket-wit pack` (unpacked within limits, its prebuilt component
 * checked, nothing built, nothing run before consent), recording where it came from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../host/src/index.js';
import { installPluginFile, type InstallPluginOptions, type InstallResult } from '../install-plugin.js';
import { withPackedPlugin } from '../plugin-package.js';
import type { StepReporter } from '../ui/steps.js';
import { fetchPackage, resolvePackage, type ResolvedPackage } from './npm-client.js';
import type { NpmConfig } from './npm-config.js';
import { recordedRange, type NpmSpec } from './npm-package.js';

/** Download `pkg` (integrity-checked) and install it; `range` is recorded for updates. */
export async function installResolved(pkg: ResolvedPackage, range: string, config: NpmConfig, opts: InstallPluginOptions, steps: StepReporter): Promise<InstallResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'pocket-wit-npm-'));
  try {
    const tgz = join(tmp, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`); // named in messages
    await steps.step(`downloading ${pkg.name}@${pkg.version} from ${pkg.registry}`, () => fetchPackage(pkg, tgz, config));
    return await withPackedPlugin(tgz, async (component, manifest) => {
      if (manifest.version !== pkg.version) {
        throw new PluginError('invalid-plugin', `${pkg.name}@${pkg.version} holds plugin ${manifest.name} ${manifest.version}: its package and plugin versions differ, so it was not installed; ask its author to publish it with \`pocket-wit publish\``);
      }
      return installPluginFile(component, `npm:${pkg.name}@${pkg.version}`, {
        ...opts,
        registry: { package: pkg.name, range, registry: pkg.registry, integrity: pkg.integrity, resolved: pkg.resolved },
      }, steps);
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `npm:<package>[@range]`: resolve the range on the registry, then {@link installResolved}. */
export async function installFromRegistry(spec: NpmSpec, config: NpmConfig, opts: InstallPluginOptions, steps: StepReporter): Promise<InstallResult> {
  const pkg = await steps.step(`resolving ${spec.name}@${spec.range ?? 'latest'}`, () => resolvePackage(`${spec.name}@${spec.range ?? 'latest'}`, spec.name, config));
  return installResolved(pkg, recordedRange(spec, pkg.version), config, opts, steps);
}
