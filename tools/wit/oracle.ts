/**
 * The reference implementation as an oracle: wit-parser, wit-component and wasmparser, as jco ships
 * them compiled to a component (`@bytecodealliance/jco`'s `componentEmbed`, `componentNew`,
 * `print`, `parse`, `componentWit`). Our own parser and diff explain a WIT and a change; these two
 * functions say what the Bytecode Alliance's tools say of it:
 *
 * - `oracleValidate`: does wit-parser accept the WIT, and does every world of its main package make
 *   a valid component (a dummy module embedded with the world, then `componentNew`, which
 *   validates)?
 * - `oracleSemverCheck`: wit-component's `semver_check`, reproduced as upstream does it
 *   (`crates/wit-component/src/semver_check.rs`): erase every package version, make a dummy
 *   component of the old world, a component importing a component typed by the new world,
 *   instantiate the second with the first, and let wasmparser validate the whole. Valid means the
 *   new world is a semver-compatible successor of the old (it may import more and export less;
 *   everything both have must have the same structure).
 *
 * jco's tools run on preview2-shim, which since 0.26.1 preopens nothing: they cannot read a WIT
 * path. Everything goes in as one text (`oracleText` joins a WIT folder and its `deps/`).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readCustomSections } from '../../host/src/component-sections.js';
import { PluginError } from '../../host/src/errors.js';

/** One WIT package as text, its dependencies nested as `package ns:name@v { … }` blocks. */
export interface OracleWit {
  text: string;
  /** For messages: where it came from. */
  label: string;
}

export type OracleVerdict = { ok: true } | { ok: false; message: string };

const PACKAGE_LINE = /^\s*package\s+([a-z0-9-]+:[a-z0-9-]+(?:@[^\s;{]+)?)\s*;/m;

/** `*.wit` files of a folder (sorted) or the one file. */
async function witFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new PluginError('not-found', `${path}: no such WIT file or folder; check the path`);
  if (!info.isDirectory()) return [await readFile(path, 'utf8')];
  const names = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.wit')).map((e) => e.name).sort();
  return Promise.all(names.map((n) => readFile(join(path, n), 'utf8')));
}

/**
 * One package's files as one text: the first `package` line kept, the others dropped (they must
 * name the same package). A file whose text already nests packages is kept as it is.
 */
function joinPackage(files: readonly string[]): { id?: string; body: string } {
  let id: string | undefined;
  const bodies = files.map((text) => {
    const m = PACKAGE_LINE.exec(text);
    if (!m) return text;
    id ??= m[1];
    return text.slice(0, m.index) + text.slice(m.index + m[0].length);
  });
  return { ...(id ? { id } : {}), body: bodies.join('\n') };
}

/** A WIT text (one package, maybe with nested ones) as the oracle takes it. */
export function oracleTextOf(text: string, label = '<wit>'): OracleWit {
  return { text, label };
}

/** A `.wit` file or a WIT folder with its `deps/` (one package per sub-folder or file) as one text. */
export async function oracleText(path: string, extraDeps: readonly string[] = []): Promise<OracleWit> {
  const main = joinPackage(await witFiles(path));
  const parts = [main.id ? `package ${main.id};\n${main.body}` : main.body];
  const deps: string[] = [...extraDeps];
  const depsDir = join(path, 'deps');
  if ((await stat(depsDir).catch(() => undefined))?.isDirectory()) {
    for (const e of (await readdir(depsDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory() || e.name.endsWith('.wit')) deps.push(join(depsDir, e.name));
    }
  }
  for (const dep of deps) {
    const d = joinPackage(await witFiles(dep));
    parts.push(d.id ? `package ${d.id} {\n${d.body}\n}` : d.body);
  }
  return { text: parts.join('\n'), label: path };
}

/** The world names declared at the top level of the main package (not in nested packages). */
export function worldNames(text: string): string[] {
  return topLevelItems(text, 'world');
}

/** The interface names declared at the top level of the main package (not in nested packages). */
export function interfaceNames(text: string): string[] {
  return topLevelItems(text, 'interface');
}

/**
 * Items gated `@unstable(...)` are left out: without their feature wit-parser leaves them out, and
 * a world naming one (the one exporting every interface) would be an error of ours, not of the WIT.
 */
function topLevelItems(text: string, kind: 'world' | 'interface'): string[] {
  const names: string[] = [];
  let depth = 0;
  const stripped = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  const re = new RegExp(`[{}]|((?:@[a-z-]+\\s*\\([^)]*\\)\\s*)*)\\b${kind}\\s+(%?[a-z][a-z0-9-]*)\\s*\\{`, 'g');
  for (let m = re.exec(stripped); m; m = re.exec(stripped)) {
    if (m[0] === '{') depth++;
    else if (m[0] === '}') depth--;
    else {
      if (depth === 0 && !/@unstable\b/.test(m[1] ?? '')) names.push(m[2]!.replace(/^%/, ''));
      depth++;
    }
  }
  return names;
}

/** The first line of what jco's tools threw, with wit-parser's location when it gave one. */
function reason(err: unknown): string {
  const e = err as { message?: string; payload?: unknown };
  const text = typeof e?.payload === 'string' ? e.payload : String(e?.message ?? err);
  return text.trim();
}

type Jco = typeof import('@bytecodealliance/jco');
let jcoModule: Promise<Jco> | undefined;
const jco = (): Promise<Jco> => (jcoModule ??= import('@bytecodealliance/jco'));

/**
 * What wit-parser and component validation say of a WIT: each world of the main package embedded
 * in a dummy module and made a component, and one more world of ours that exports every interface
 * of the main package (a component exports every type of an interface it exports, so each type is
 * validated, reached by a function or not).
 */
export async function oracleValidate(wit: OracleWit): Promise<OracleVerdict> {
  const { componentEmbed, componentNew } = await jco();
  const worlds = worldNames(wit.text);
  const ifaces = interfaceNames(wit.text);
  // Appended at the top level of the main package, before any nested package.
  const nestedAt = /\n\s*package\s+[^;{]+\{/.exec(wit.text);
  const cut = nestedAt ? nestedAt.index : wit.text.length;
  const all = `world oracle-every-interface { ${ifaces.map((i) => `export ${i};`).join(' ')} }`;
  const text = `${wit.text.slice(0, cut)}\n${all}\n${wit.text.slice(cut)}`;
  worlds.push('oracle-every-interface');
  for (const world of worlds) {
    try {
      const core = await componentEmbed({ dummy: true, witSource: text, world, stringEncoding: 'utf8' });
      await componentNew(core, []);
    } catch (err) {
      return { ok: false, message: `world ${world}: ${reason(err)}` };
    }
  }
  return { ok: true };
}

/**
 * Versions erased as upstream erases them before its check (it does so on the resolved packages;
 * in text: the package lines, every `ns:pkg/...@version` reference, and the `@since`/`@deprecated`
 * gates, which name versions and only say when an item appeared). `@unstable` items stay: without
 * their feature enabled wit-parser leaves them out, on both sides alike.
 */
export function eraseVersions(text: string): string {
  return text
    .replace(/@since\s*\([^)]*\)/g, '')
    .replace(/@deprecated\s*\([^)]*\)/g, '')
    .replace(/(\b[a-z][a-z0-9-]*:[a-z][a-z0-9-]*(?:\/%?[a-z][a-z0-9-]*)?)@[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?/g, '$1');
}

/** The child s-expressions (as [start, end) ranges) of the one that opens at `at` in WAT text `t`. */
function children(t: string, at: number): [number, number][] {
  const out: [number, number][] = [];
  let i = at + 1;
  let depth = 0;
  let start = -1;
  while (i < t.length) {
    const c = t[i]!;
    if (c === '"') {
      i++;
      while (i < t.length && t[i] !== '"') i += t[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(' && t[i + 1] === ';') {
      i = t.indexOf(';)', i + 2) + 2;
    } else if (c === ';' && t[i + 1] === ';') {
      i = t.indexOf('\n', i);
      if (i < 0) break;
    } else if (c === '(') {
      if (depth === 0) start = i;
      depth++;
      i++;
    } else if (c === ')') {
      if (depth === 0) return out;
      depth--;
      i++;
      if (depth === 0) out.push([start, i]);
    } else i++;
  }
  throw new Error('oracle: unbalanced WAT text');
}

function child(t: string, at: number, head: string): [number, number] {
  const found = children(t, at).find(([s, e]) => new RegExp(`^\\(\\s*${head}\\b`).test(t.slice(s, e)));
  if (!found) throw new Error(`oracle: the printed world type has no (${head} …) where expected`);
  return found;
}

/**
 * wit-component's `semver_check(old world, new world)`: is `newWit`'s world `world` a
 * semver-compatible successor of `oldWit`'s? `ok: false` carries wasmparser's reason.
 */
export async function oracleSemverCheck(oldWit: OracleWit, newWit: OracleWit, world: string): Promise<OracleVerdict> {
  const { componentEmbed, componentNew, print, parse, componentWit } = await jco();
  const oldText = eraseVersions(oldWit.text);
  const newText = eraseVersions(newWit.text);
  const oldPkg = PACKAGE_LINE.exec(oldText)?.[1];
  const newPkg = PACKAGE_LINE.exec(newText)?.[1];
  if (oldPkg !== newPkg) return { ok: false, message: `the old world is in package ${oldPkg}, the new one in ${newPkg}` };
  // (1) A dummy component of the old world.
  let prevWat: string;
  try {
    prevWat = await print(await componentNew(await componentEmbed({ dummy: true, witSource: oldText, world, stringEncoding: 'utf8' }), []));
  } catch (err) {
    return { ok: false, message: `the old world ${world} does not make a component: ${reason(err)}` };
  }
  // (2) The new world as a component type: the one wit-component embeds in a module's
  // `component-type` section is `(component (type (component (type <world>) (export …))) …)`.
  let worldType: string;
  try {
    const core = await componentEmbed({ dummy: true, witSource: newText, world, stringEncoding: 'utf8' });
    const section = [...readCustomSections(core)].find(([name]) => name.startsWith('component-type'))?.[1];
    if (!section) throw new Error('no component-type section in the embedded module');
    const t = await print(section);
    const outer = child(t, t.indexOf('('), 'type');
    const outerComponent = child(t, outer[0], 'component');
    const inner = child(t, outerComponent[0], 'type');
    const [s, e] = child(t, inner[0], 'component');
    worldType = t.slice(s, e);
  } catch (err) {
    return { ok: false, message: `the new world ${world} does not make a component type: ${reason(err)}` };
  }
  // (3) Instantiate a component importing one of the new world's type with the old dummy.
  const name = JSON.stringify(world);
  const root = [
    '(component',
    prevWat.replace(/^\s*\(component/, '(component $prev'),
    `(component $test (type $new-world ${worldType}) (import ${name} (component (type $new-world))))`,
    `(instance (instantiate $test (with ${name} (component $prev))))`,
    ')',
  ].join('\n');
  let bytes: Uint8Array;
  try {
    bytes = await parse(root);
  } catch (err) {
    throw new Error(`oracle: the test component does not assemble: ${reason(err)}`);
  }
  try {
    // Decoding validates the whole component with wasmparser first.
    await componentWit(bytes);
    return { ok: true };
  } catch (err) {
    return { ok: false, message: reason(err) };
  }
}
