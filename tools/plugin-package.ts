/**
 * Packed plugins (`.tgz`). `pocket-wit pack <dir>` builds the project and writes, under
 * `package/`: the manifest, the built component as `plugin.wasm`, and the sources (for reading
 * only). Installing an archive never builds: it unpacks it within limits (see
 * `withUnpackedArchive`), takes `plugin.wasm` after checking that it is a component whose
 * embedded `pocket-wit:plugin` section names the archive manifest's plugin and version, and
 * refuses an archive without one.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { create } from 'tar';
import { findManifestFile, PluginError, readComponent, readManifest, withUnpackedArchive, type Manifest } from '../host/src/index.js';
import { readProject } from './build/project.js';
import { resolvePluginFile } from './plugin-source.js';
import type { StepReporter } from './ui/steps.js';

/** Where a packed archive carries its built component, next to the manifest under `package/`. */
export const PACKED_COMPONENT = 'plugin.wasm';

/** Check that `file` is a component built from the plugin `manifest` names (name and version). */
async function checkPackedComponent(file: string, manifest: Manifest, where: string): Promise<void> {
  const component = await readComponent(file); // invalid-plugin for a non-wasm file or a core module
  const section = component.section;
  if (!section) {
    throw new PluginError('invalid-plugin', `${where}: ${PACKED_COMPONENT} has no pocket-wit:plugin section (it was not built by \`pocket-wit build\`); re-pack the plugin with a current \`pocket-wit pack <dir>\``);
  }
  const built = `${section.manifest.name}@${section.manifest.version}`;
  const declared = `${manifest.name}@${manifest.version}`;
  if (built !== declared) {
    throw new PluginError('invalid-plugin', `${where}: its manifest says ${declared} but ${PACKED_COMPONENT} was built as ${built}; re-pack the plugin with a current \`pocket-wit pack <dir>\``, {
      details: { manifest: declared, component: built },
    });
  }
}

/** Copy a source tree, regular files and directories only (an archive may hold nothing else). */
function copySources(from: string, to: string): void {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const st = lstatSync(src);
      return (st.isFile() || st.isDirectory()) && basename(src) !== 'node_modules';
    },
  });
}

export interface PackOptions {
  /** The archive to write (default: `./<name>-<version>.tgz`). */
  out?: string;
  /**
   * A `package.json` for the archive (an npm package: `pocket-wit publish`), made from the
   * project's manifest and the built component's path.
   */
  packageJson?: (manifest: Manifest, component: string, entries: string[]) => Promise<Record<string, unknown>>;
}

/** Pack a plugin project (built first when stale) into `<name>-<version>.tgz`. */
export async function packPlugin(dir: string, steps: StepReporter, options: PackOptions = {}): Promise<{ file: string; entries: string[] }> {
  const project = readProject(dir);
  const wasm = await resolvePluginFile(dir, steps);
  await checkPackedComponent(wasm, project.manifest, wasm);
  const file = options.out ?? join(process.cwd(), `${project.manifest.name}-${project.manifest.version}.tgz`);
  const stage = mkdtempSync(join(tmpdir(), 'pocket-wit-pack-'));
  const entries: string[] = [];
  try {
    const pkg = join(stage, 'package');
    mkdirSync(pkg);
    const manifestName = relative(project.dir, project.manifestPath);
    cpSync(project.manifestPath, join(pkg, manifestName));
    cpSync(wasm, join(pkg, PACKED_COMPONENT));
    entries.push(manifestName, PACKED_COMPONENT);
    for (const extra of ['src', 'README.md', 'tsconfig.json']) {
      const path = join(project.dir, extra);
      if (!existsSync(path)) continue;
      copySources(path, join(pkg, extra));
      entries.push(extra);
    }
    if (options.packageJson) {
      writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(await options.packageJson(project.manifest, wasm, entries), null, 2)}\n`);
      entries.push('package.json');
    }
    await create({ gzip: true, file, cwd: stage, portable: true }, ['package']);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  // What `install` will accept: an archive over the limits is an error here, not at install.
  await withPackedPlugin(file, async () => undefined);
  return { file, entries };
}

/** The folder of an unpacked archive that holds the plugin: `package/`, the top, or a single top folder. */
function pluginRoot(dir: string): string | undefined {
  const candidates = [join(dir, 'package'), dir, ...readdirSync(dir).map((e) => join(dir, e))];
  return candidates.find((p) => statSync(p).isDirectory() && findManifestFile(p) !== undefined);
}

/**
 * Unpack `archive` (within the unpack limits), find its manifest and its prebuilt component, check
 * the component, and call `use` with the component's path and the archive's manifest. Nothing in
 * the archive is built or run; the unpacked folder is removed when `use` returns or throws.
 */
export async function withPackedPlugin<T>(archive: string, use: (component: string, manifest: Manifest) => Promise<T>): Promise<T> {
  return withUnpackedArchive(archive, async (dir) => {
    const root = pluginRoot(dir);
    if (!root) throw new PluginError('invalid-plugin', `${basename(archive)} holds no plugin (no manifest.yaml at its top or in package/); make one with \`pocket-wit pack <dir>\``);
    const manifest = readManifest(findManifestFile(root)!);
    const component = join(root, PACKED_COMPONENT);
    if (!existsSync(component)) {
      const prefix = relative(dir, root);
      throw new PluginError(
        'invalid-plugin',
        `${basename(archive)} carries no built component (${prefix ? `${prefix}/` : ''}${PACKED_COMPONENT}); installing an archive never builds it from its sources — ask its author to re-pack it with a current \`pocket-wit pack <dir>\`, or install from the project directory`,
        { details: { archive } },
      );
    }
    await checkPackedComponent(component, manifest, basename(archive));
    return use(component, manifest);
  });
}
