/**
 * The npm registry through npm's own libraries: pacote (resolve, fetch with the registry's
 * integrity checked), libnpmpublish (publish) and libnpmsearch (search). They are loaded only
 * when a registry command runs. Their errors become PluginErrors with a stable code and the fix.
 */
import type { PackageManifest, Packument } from 'pacote';
import { PluginError } from '../../host/src/index.js';
import { registryFor, type NpmConfig } from './npm-config.js';

type Pacote = typeof import('pacote');

/** pacote is CommonJS: its functions are on the default export. Loaded on first use only. */
async function loadPacote(): Promise<Pacote> {
  const mod = (await import('pacote')) as Pacote & { default?: Pacote };
  return mod.default ?? mod;
}

/** A package version the registry resolved a spec to. */
export interface ResolvedPackage {
  name: string;
  version: string;
  /** The registry's Subresource Integrity string for the tarball (sha512). */
  integrity: string;
  /** The tarball URL. */
  resolved: string;
  registry: string;
  manifest: PackageManifest;
}

export interface SearchHit {
  name: string;
  version: string;
  description: string;
  keywords: string[];
}

interface NpmError extends Error {
  code?: string;
  statusCode?: number;
  expected?: string;
  found?: string;
  sri?: string;
}

/** What went wrong talking to `registry` about `what`, as a PluginError with the fix. */
export function registryError(err: unknown, what: string, registry: string): PluginError {
  if (err instanceof PluginError) return err;
  const e = err as NpmError;
  const code = e.code ?? '';
  const first = (e.message ?? String(err)).split('\n')[0]!;
  if (code === 'E404') return new PluginError('not-found', `${what}: the registry ${registry} has no such package${/@/.test(what.slice(1)) ? ' or version' : ''}; check the name (\`pocket-wit search <words>\`) and the registry (--registry or .npmrc)`, { details: { registry } });
  if (code === 'ETARGET') return new PluginError('not-found', `${what}: ${first}; see the published versions with \`npm view <package> versions --registry ${registry}\``, { details: { registry } });
  if (code === 'EINTEGRITY') {
    return new PluginError('invalid-plugin', `${what}: the tarball from ${registry} does not match the integrity the registry recorded at publish (${first}); it was changed after publishing, so nothing was installed`, {
      details: { registry, ...(e.expected ? { expected: String(e.expected) } : {}), ...(e.found ? { found: String(e.found) } : {}) },
    });
  }
  if (code === 'EPUBLISHCONFLICT' || code === 'E409' || (code === 'E403' && /previously published|cannot publish over/i.test(first))) {
    return new PluginError('invalid-input', `${what} is already published on ${registry}; raise version in manifest.yaml and publish again`, { details: { registry } });
  }
  if (code === 'E401' || code === 'E403' || code === 'ENEEDAUTH' || e.statusCode === 401 || e.statusCode === 403) {
    const host = registry.replace(/^https?:/, '');
    const taken = code === 'E403' && /publish|permission/i.test(first) ? `; if the name belongs to someone else, publish under your own scope with \`--scope @you\`` : '';
    return new PluginError('permission-denied', `${what}: the registry ${registry} refused (${first}); log in with \`npm login --registry ${registry}\` or put \`${host}:_authToken=\${NPM_TOKEN}\` in .npmrc${taken}`, { details: { registry } });
  }
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|FETCH_ERROR)$/.test(code) || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(first)) {
    return new PluginError('registry-unavailable', `${what}: cannot reach the registry ${registry} (${first}); check --registry or the registry line of .npmrc, and that the registry is running`, { details: { registry } });
  }
  return new PluginError('registry-unavailable', `${what}: the registry ${registry} answered with an error: ${first}${code ? ` (${code})` : ''}`, { details: { registry, ...(code ? { npmCode: code } : {}) } });
}

/** `name@range` (or a tag) → the exact version the registry resolves it to, always asking it afresh. */
export async function resolvePackage(spec: string, name: string, config: NpmConfig): Promise<ResolvedPackage> {
  const registry = registryFor(name, config);
  const pacote = await loadPacote();
  try {
    const manifest = await pacote.manifest(spec, { ...config.options, preferOnline: true, fullMetadata: true });
    const integrity = manifest.dist.integrity ?? manifest._integrity;
    if (!integrity) throw new PluginError('invalid-plugin', `${manifest.name}@${manifest.version} on ${registry} has no integrity recorded, so its download cannot be checked; not installed`);
    return { name: manifest.name, version: manifest.version, integrity, resolved: manifest.dist.tarball, registry, manifest };
  } catch (err) {
    throw registryError(err, spec, registry);
  }
}

/**
 * Download a resolved package's tarball to `dest`. pacote checks the bytes against the integrity
 * the registry recorded (`EINTEGRITY` → `invalid-plugin`): a tarball changed after publishing
 * is refused before anything reads it.
 */
export async function fetchPackage(pkg: ResolvedPackage, dest: string, config: NpmConfig): Promise<void> {
  const pacote = await loadPacote();
  try {
    await pacote.tarball.file(`${pkg.name}@${pkg.version}`, dest, { ...config.options, integrity: pkg.integrity });
  } catch (err) {
    throw registryError(err, `${pkg.name}@${pkg.version}`, pkg.registry);
  }
}

/** Every version and dist-tag of a package, asked afresh. */
export async function packument(name: string, config: NpmConfig): Promise<Packument> {
  const registry = registryFor(name, config);
  const pacote = await loadPacote();
  try {
    return await pacote.packument(name, { ...config.options, preferOnline: true });
  } catch (err) {
    throw registryError(err, name, registry);
  }
}

export interface PublishRequest {
  /** The package.json of the package (name, version, ...). */
  manifest: Record<string, unknown>;
  tarball: Buffer;
  tag?: string;
  access?: 'public' | 'restricted';
  provenance?: boolean;
}

/** Publish with libnpmpublish (the registry's auth, scopes and provenance from npm's config). */
export async function publishPackage(req: PublishRequest, config: NpmConfig): Promise<string> {
  const name = String(req.manifest.name);
  const registry = registryFor(name, config);
  const { publish } = await import('libnpmpublish');
  try {
    await publish(req.manifest, req.tarball, {
      ...config.options,
      defaultTag: req.tag ?? 'latest',
      ...(req.access ? { access: req.access } : {}),
      ...(req.provenance ? { provenance: true } : {}),
    });
    return registry;
  } catch (err) {
    throw registryError(err, `${name}@${String(req.manifest.version)}`, registry);
  }
}

/** Registry search, keeping the packages that carry the `keyword`. */
export async function searchRegistry(words: string[], keyword: string, config: NpmConfig, limit = 50): Promise<SearchHit[]> {
  const { default: search } = await import('libnpmsearch');
  const ask = async (query: string[]) => {
    try {
      return await search(query, { ...config.options, limit: Math.max(limit, 250) });
    } catch (err) {
      throw registryError(err, `search "${query.join(' ')}"`, config.registry);
    }
  };
  // No words: every plugin. npm's registry understands `keywords:`; others (verdaccio) do not,
  // and list every package for an empty text, of which the filter below keeps the plugins.
  let hits = await ask(words.length ? words : [`keywords:${keyword}`]);
  if (words.length === 0 && hits.length === 0) hits = await ask(['']);
  const plugins = hits.filter((h) => (h.keywords ?? []).includes(keyword)).slice(0, limit);
  // Some registries (verdaccio) leave the version out of search results: their latest tag says it.
  return Promise.all(
    plugins.map(async (h) => ({
      name: h.name,
      version: h.version ?? (await packument(h.name, config).then((p) => p['dist-tags'].latest ?? '', () => '')),
      description: h.description ?? '',
      keywords: h.keywords ?? [],
    })),
  );
}
