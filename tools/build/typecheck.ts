/**
 * Type-checking a TypeScript plugin project before it is bundled (esbuild strips types without
 * checking them). It uses the TypeScript compiler API with the project's `tsconfig.json` when it
 * has one, else {@link PLUGIN_COMPILER_OPTIONS} (what `pocket-wit init` writes). Either way
 * `pocket-wit/guest` and `typebox` resolve to the toolchain's own copies, the ones the bundle
 * uses. Only diagnostics in the project's own files count: the SDK is not the author's to fix.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { defaultCacheDir } from '../../host/src/cache.js';
import { PluginError, toolchainPackageDir, toolchainRootPath } from './toolchain.js';
import type { PluginProject } from './project.js';

/** The compiler options of a plugin project (as tsconfig.json text values). */
export const PLUGIN_COMPILER_OPTIONS = {
  target: 'ES2022',
  module: 'ESNext',
  // Bundler resolution is esbuild's: extensionless relative imports, package.json "exports".
  moduleResolution: 'Bundler',
  // The JS engines have the ES library and nothing of the DOM or of Node.
  lib: ['ES2022'],
  types: [] as string[],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  isolatedModules: true,
} as const;

/** The most errors a failed check lists (the message gives the total). */
export const MAX_LISTED_TYPE_ERRORS = 10;

/** Where the toolchain's `pocket-wit/guest` types are: the built .d.ts, else the source. */
export function guestTypesPath(root = toolchainRootPath()): string {
  const built = join(root, 'dist', 'guest-sdk', 'ts', 'src', 'index.d.ts');
  return existsSync(built) ? built : join(root, 'guest-sdk', 'ts', 'src', 'index.ts');
}

/** `paths` entries that make `pocket-wit/guest` and `typebox` resolve to the toolchain's copies. */
export function toolchainPaths(root = toolchainRootPath(), from?: string): Record<string, string[]> {
  const rel = (p: string): string => {
    if (!from) return p;
    const r = relative(from, p);
    return r.startsWith('.') ? r : `./${r}`;
  };
  const typebox = join(toolchainPackageDir('typebox', root), 'build');
  return {
    'pocket-wit/guest': [rel(guestTypesPath(root))],
    typebox: [rel(join(typebox, 'index.d.mts'))],
    'typebox/*': [rel(join(typebox, '*', 'index.d.mts'))],
  };
}

export interface TypeCheckResult {
  /** `file:line:col: message` (paths relative to the project), at most {@link MAX_LISTED_TYPE_ERRORS}. */
  errors: string[];
  /** How many errors there were in all. */
  count: number;
  /** The files checked. */
  files: number;
  ms: number;
  /** True when the same sources passed before (see {@link typecheckKey}). */
  cached?: boolean;
  /** True when a file has a syntax error: not checked, the bundler reports it. */
  syntaxErrors?: boolean;
}

const NOT_SOURCES = new Set(['node_modules', 'dist', 'target', 'build', 'out']);

/**
 * A digest of everything a check depends on: the TypeScript version, the project's tsconfig.json
 * and TypeScript sources (every `.ts`/`.mts`/`.cts`/`.tsx` outside node_modules and build
 * folders) and the toolchain's SDK types. A clean check is remembered under it in the cache
 * folder, so a rebuild of unchanged sources skips the check (it costs seconds: the SDK's typed
 * `definePlugin` makes the compiler instantiate many typebox types).
 */
function typecheckKey(dir: string, tsVersion: string): string {
  const hash = createHash('sha256').update(`typescript ${tsVersion}\0`);
  const add = (path: string): void => {
    hash.update(`${relative(dir, path)}\0`);
    try {
      hash.update(readFileSync(path));
    } catch {
      hash.update('missing');
    }
    hash.update('\0');
  };
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (NOT_SOURCES.has(e.name) || e.name.startsWith('.')) continue;
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(m|c)?tsx?$/.test(e.name) || e.name === 'tsconfig.json' || e.name === 'package.json') add(path);
    }
  };
  walk(dir);
  add(guestTypesPath());
  return hash.digest('hex');
}

function within(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Type-check the project; never throws for type errors (see {@link typecheckOrFail}). */
export async function typecheckProject(project: PluginProject): Promise<TypeCheckResult> {
  const started = performance.now();
  const ts = (await import('typescript')).default;
  const dir = project.dir;
  const key = typecheckKey(dir, ts.version);
  const marker = join(defaultCacheDir(), 'typecheck', `${key}.ok`);
  if (existsSync(marker)) return { errors: [], count: 0, files: Number(readFileSync(marker, 'utf8')) || 1, ms: Math.round(performance.now() - started), cached: true };
  const configPath = join(dir, 'tsconfig.json');
  const configErrors: import('typescript').Diagnostic[] = [];
  let options: import('typescript').CompilerOptions;
  let rootNames: string[];
  if (existsSync(configPath)) {
    const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
    if (read.error) configErrors.push(read.error);
    const parsed = ts.parseJsonConfigFileContent(read.config ?? {}, ts.sys, dir, undefined, configPath);
    configErrors.push(...parsed.errors.filter((d) => d.code !== 18003)); // 18003: no inputs found (the entry is checked anyway)
    options = parsed.options;
    rootNames = parsed.fileNames.length > 0 ? parsed.fileNames : [project.entry];
  } else {
    options = ts.convertCompilerOptionsFromJson(PLUGIN_COMPILER_OPTIONS, dir).options;
    rootNames = [project.entry];
  }
  if (!rootNames.map((f) => resolve(f)).includes(project.entry)) rootNames.push(project.entry);
  // The world's own modules (`pocket:plugin/host@<version>`, which a plugin may import): their
  // generated declarations, when this pocket-wit has them.
  const generated = join(toolchainRootPath(), 'guest-sdk', 'ts', 'src', 'generated', 'wit');
  if (existsSync(generated)) {
    for (const v of readdirSync(generated)) {
      const decl = join(generated, v, 'plugin.d.ts');
      if (existsSync(decl)) rootNames.push(decl);
    }
  }
  // The bundle's SDK and typebox, whatever else the project's paths say.
  options = { ...options, noEmit: true, paths: { ...options.paths, ...toolchainPaths() } };
  delete options.declaration;
  delete options.composite;
  delete options.incremental;
  delete options.tsBuildInfoFile;
  const program = ts.createProgram({ rootNames, options });
  const projectReal = realOrSelf(dir);
  const own = (file: string): boolean => {
    const real = realOrSelf(file);
    return within(real, projectReal) && !real.split(/[\\/]/).includes('node_modules');
  };
  const ownFiles = program.getSourceFiles().filter((f) => own(f.fileName));
  // A syntax error is the bundler's to report (build-failed, as for JavaScript): no type check.
  if (ownFiles.some((f) => program.getSyntacticDiagnostics(f).length > 0)) {
    return { errors: [], count: 0, files: ownFiles.length, ms: Math.round(performance.now() - started), syntaxErrors: true };
  }
  const diagnostics = [
    ...configErrors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ownFiles.flatMap((f) => program.getSemanticDiagnostics(f)),
  ].filter((d) => d.category === ts.DiagnosticCategory.Error && (!d.file || own(d.file.fileName)));
  const lines = diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]!;
    if (!d.file || d.start === undefined) return `${d.file ? relative(dir, d.file.fileName) : 'tsconfig.json'}: ${message} (TS${d.code})`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${relative(dir, d.file.fileName)}:${line + 1}:${character + 1}: ${message} (TS${d.code})`;
  });
  const files = ownFiles.length;
  if (lines.length === 0) {
    try {
      mkdirSync(join(marker, '..'), { recursive: true });
      writeFileSync(marker, String(files));
    } catch {
      // an unwritable cache only costs the next build a check
    }
  }
  return { errors: lines.slice(0, MAX_LISTED_TYPE_ERRORS), count: lines.length, files, ms: Math.round(performance.now() - started) };
}

/** Type-check the project; a `type-error` listing the first errors when it has any. */
export async function typecheckOrFail(project: PluginProject): Promise<TypeCheckResult> {
  const result = await typecheckProject(project);
  if (result.count > 0) {
    const more = result.count > result.errors.length ? `\n  … and ${result.count - result.errors.length} more` : '';
    throw new PluginError(
      'type-error',
      `${project.manifest.name}: ${result.count} type error${result.count === 1 ? '' : 's'} in ${project.dir} (fix them, or build with --no-typecheck):\n  ${result.errors.join('\n  ')}${more}`,
      { details: { errors: result.errors, count: result.count } },
    );
  }
  return result;
}
