/**
 * Packed plugins (`.tgz`): `pocket-wit pack <dir>` writes the manifest, the built component and
 * the sources under `package/`; install unpacks one and uses its component (building it from the
 * sources when the archive has none).
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { create, extract } from 'tar';
import { PluginError } from '../host/src/index.js';
import { isProjectDir, readProject } from './build/project.js';
import { resolvePluginFile } from './plugin-source.js';
import type { StepReporter } from './ui/steps.js';

/** Pack a plugin project (built first when stale) into `<name>-<version>.tgz`. */
export async function packPlugin(dir: string, steps: StepReporter, out?: string): Promise<{ file: string; entries: string[] }> {
  const project = readProject(dir);
  const wasm = await resolvePluginFile(dir, steps);
  const file = out ?? join(process.cwd(), `${project.manifest.name}-${project.manifest.version}.tgz`);
  const entries = [relative(project.dir, project.manifestPath), relative(project.dir, wasm), 'src'];
  for (const extra of ['README.md', 'tsconfig.json']) if (existsSync(join(project.dir, extra))) entries.push(extra);
  if (entries.some((e) => e.startsWith('..'))) throw new PluginError('build-failed', `the component ${wasm} lies outside the project; set the manifest's binary inside it`);
  await create({ gzip: true, file, cwd: project.dir, prefix: 'package', portable: true }, entries);
  return { file, entries };
}

/** Unpack a `.tgz` and return its plugin component (built when the archive carries none). */
export async function unpackPlugin(archive: string, steps: StepReporter): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pocket-wit-unpack-'));
  try {
    await extract({ file: archive, cwd: dir, strict: true });
  } catch (err) {
    throw new PluginError('invalid-plugin', `${archive} is not a readable .tgz archive: ${(err as Error).message}; make one with \`pocket-wit pack <dir>\``);
  }
  const candidates = [join(dir, 'package'), dir, ...readdirSync(dir).map((e) => join(dir, e))].filter((p) => statSync(p).isDirectory());
  const root = candidates.find((p) => isProjectDir(p));
  if (!root) throw new PluginError('invalid-plugin', `${basename(archive)} holds no plugin (no manifest.yaml at its top or in package/); make one with \`pocket-wit pack <dir>\``);
  const project = readProject(root);
  if (existsSync(project.defaultOutput)) return project.defaultOutput;
  return resolvePluginFile(root, steps);
}
