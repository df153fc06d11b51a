/**
 * Which installed registry plugins have newer versions: `wanted` is the newest version within the
 * range the lock file records (what `update` installs), `latest` the registry's `latest` tag.
 */
import semver from 'semver';
import { PluginError, readLock, type RegistrySource } from '../../host/src/index.js';
import { packument } from './npm-client.js';
import { withRegistry, type NpmConfig } from './npm-config.js';

export interface OutdatedRow {
  /** The installed plugin's name. */
  name: string;
  package: string;
  current: string;
  /** The newest version within `range` (maybe `current`). */
  wanted: string;
  latest: string;
  range: string;
  registry: string;
}

/** The registry record of installed plugin `name`, or an error saying why it has none. */
export function registryRecord(dir: string, name: string): RegistrySource {
  const entry = readLock(dir).plugins[name];
  if (!entry) throw new PluginError('not-found', `no installed plugin named ${name} in ${dir}; see \`pocket-wit list\``);
  if (!entry.registry) {
    throw new PluginError('invalid-input', `${name} was installed from ${entry.source}, not from a registry, so there is nothing to update it from; install the new version with \`pocket-wit install <source> --force\`, or reinstall it with \`pocket-wit install npm:<package>\``);
  }
  return entry.registry;
}

/** Every installed plugin from a registry (or only `names`), with its current, wanted and latest versions. */
export async function outdatedPlugins(dir: string, config: NpmConfig, names: string[] = []): Promise<OutdatedRow[]> {
  const lock = readLock(dir);
  const wanted = names.length ? names : Object.keys(lock.plugins).filter((n) => lock.plugins[n]!.registry).sort();
  const rows: OutdatedRow[] = [];
  for (const name of wanted) {
    const record = registryRecord(dir, name);
    const current = lock.plugins[name]!.version;
    const doc = await packument(record.package, withRegistry(config, record.registry));
    const versions = Object.keys(doc.versions);
    const best = semver.maxSatisfying(versions, record.range) ?? current;
    rows.push({ name, package: record.package, current, wanted: semver.gt(best, current) ? best : current, latest: doc['dist-tags'].latest ?? best, range: record.range, registry: record.registry });
  }
  return rows;
}
