/**
 * A WIT package as a *binary WIT package*: the component that `wasm-tools component wit --wasm`
 * writes (wit-component's `encode`), built with the wasm-tools that jco ships compiled to a
 * component. jco has no "encode a WIT package" function, but `componentEmbed` encodes one world
 * at a time: the `component-type` custom section it writes into a dummy module is
 * wit-component's metadata encoding, `(component (type (component (type <world>) (export
 * "ns:pkg/world@v" …))) (export "world" (type 0)))`: a one-world WIT package. A whole package
 * is the same shape with one such export per interface and per world, so:
 *
 * - each world: the outer type of its own section, exported under the world's name;
 * - each interface: the section of a throwaway world that only exports it (`world … { export
 *   i; }`); the world type inside is `(component (import <dependency>)… (export "ns:pkg/i@v"
 *   (instance …)))`, which is wit-component's interface encoding except that the imported
 *   dependencies keep their functions (an interface encoding imports only their types), so
 *   those are cut;
 * - interfaces first, then worlds, as wit-component orders them; then wit-component's
 *   `producers` section; then `parse` assembles the text into the binary.
 *
 * wit-component's own encoding also writes a `package-docs` section (doc comments, `@since`
 * gates); this one has none, so the WIT decoded from it has no doc comments. The metadata
 * section's `wit-component-encoding` section is not kept: a package encoding has none.
 *
 * `decodeWitPackage` is the check: jco's `componentWit` refuses WIT packages by design (it
 * panics with "Unexpected wit package"); jco's bindgen component has `unpackWit`, which runs
 * wit-component's `decode` (validating the binary with wasmparser first) and prints every
 * package with wit-parser's printer.
 */
import { PluginError } from '../../host/src/errors.js';
import { appendCustomSection, readCustomSections } from '../../host/src/component-sections.js';
import { interfaceNames, worldNames } from './oracle.js';

type Jco = typeof import('@bytecodealliance/jco');
let jcoModule: Promise<Jco> | undefined;
const jco = (): Promise<Jco> => (jcoModule ??= import('@bytecodealliance/jco'));

const PACKAGE_LINE = /^\s*package\s+([a-z0-9-]+:[a-z0-9-]+(?:@[^\s;{]+)?)\s*;/m;

/** The first lines of what jco's tools threw. */
function reason(err: unknown): string {
  const e = err as { message?: string; payload?: unknown };
  return (typeof e?.payload === 'string' ? e.payload : String(e?.message ?? err)).trim();
}

/** The child s-expressions, as [start, end) ranges, of the one that opens at `at` in WAT `t`. */
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
  throw new Error('unbalanced WAT text');
}

const head = (text: string): string => /^\(\s*(@?[a-z-]+)/.exec(text)?.[1] ?? '';

/** The one child of the s-expression at `at` with this head (and, if given, whose text matches `test`). */
function only(t: string, at: number, name: string, what: string): [number, number] {
  const found = children(t, at).filter(([s, e]) => head(t.slice(s, e)) === name);
  if (found.length !== 1) throw new Error(`${what}: expected one (${name} …), found ${found.length}`);
  return found[0]!;
}

/** The printed `component-type` section of a dummy module embedding `world` of `text`. */
async function worldSection(text: string, world: string): Promise<{ wat: string; producers?: Uint8Array }> {
  const { componentEmbed, print } = await jco();
  let core: Uint8Array;
  try {
    core = await componentEmbed({ dummy: true, witSource: text, world, stringEncoding: 'utf8' });
  } catch (err) {
    throw new PluginError('invalid-wit', `world ${world} cannot be encoded: ${reason(err)}`, { cause: err });
  }
  const section = [...readCustomSections(core)].find(([name]) => name.startsWith('component-type'))?.[1];
  if (!section) throw new Error(`componentEmbed wrote no component-type section for world ${world}`);
  const producers = readCustomSections(section).get('producers');
  return { wat: await print(section), ...(producers ? { producers } : {}) };
}

/** `(type (component (type <world>) (export "ns:pkg/w@v" (component (type 0)))))` of a section. */
function outerType(wat: string): string {
  const root = wat.indexOf('(');
  const [s, e] = only(wat, root, 'type', 'the component-type section');
  return wat.slice(s, e);
}

/**
 * The interface encoding of the one interface a throwaway world exports: the world's component
 * type, its imported instances cut down to their type exports.
 */
function interfaceType(wat: string, iface: string): string {
  const outer = outerType(wat);
  const wrapper = only(outer, 0, 'component', `interface ${iface}`);
  const inner = only(outer, wrapper[0], 'type', `interface ${iface}`);
  const [cs, ce] = only(outer, inner[0], 'component', `interface ${iface}`);
  const world = outer.slice(cs, ce);
  const items = children(world, 0);
  const exports = items.filter(([s, e]) => head(world.slice(s, e)) === 'export');
  if (exports.length !== 1) throw new Error(`interface ${iface}: the throwaway world exports ${exports.length} items, not 1`);
  const exported = /\(instance\s+\(type\s+(\d+)\)\)\s*\)$/.exec(world.slice(...exports[0]!))?.[1];
  if (exported === undefined) throw new Error(`interface ${iface}: the throwaway world's export is not an instance`);
  let out = '';
  let last = 0;
  for (const [s, e] of items) {
    const item = world.slice(s, e);
    const index = /^\(type\s+\(;(\d+);\)/.exec(item)?.[1];
    if (index === undefined || index === exported || head(item.slice(item.indexOf('(', 1))) !== 'instance') continue;
    // An imported instance: keep what precedes its last type export (functions come after all types).
    const instanceAt = item.indexOf('(', 1);
    const parts = children(item, instanceAt);
    const typeExports = parts.filter(([ps, pe]) => /^\(export\s+(?:\(;\d+;\)\s+)?"[^"]*"\s+\(type\s/.test(item.slice(ps, pe)));
    const cut = typeExports.length > 0 ? typeExports[typeExports.length - 1]![1] : instanceAt + '(instance'.length;
    const close = parts.length > 0 ? parts[parts.length - 1]![1] : cut;
    out += world.slice(last, s) + item.slice(0, cut) + item.slice(close);
    last = e;
  }
  return out + world.slice(last);
}

/** The interfaces of package `pkg` (`ns:name@version`) that an interface encoding imports. */
function samePackageImports(type: string, pkg: string): string[] {
  const at = pkg.indexOf('@');
  const [base, version] = at < 0 ? [pkg, undefined] : [pkg.slice(0, at), pkg.slice(at + 1)];
  const out: string[] = [];
  for (const m of type.matchAll(/\(import\s+"([^"]+)"/g)) {
    const name = m[1]!;
    const slash = name.indexOf('/');
    if (slash < 0 || name.slice(0, slash) !== base) continue;
    const rest = name.slice(slash + 1);
    const v = rest.indexOf('@');
    if ((v < 0 ? undefined : rest.slice(v + 1)) !== version) continue;
    out.push(v < 0 ? rest : rest.slice(0, v));
  }
  return out;
}

/**
 * wit-parser's order of a package's interfaces (its `toposort`): of the interfaces whose
 * dependencies are all placed, the first in source order goes next. The decoder needs an
 * interface's same-package dependencies exported before it.
 */
function dependencyOrder(names: readonly string[], deps: (name: string) => string[]): string[] {
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < names.length) {
    const next = names.find((n) => !placed.has(n) && deps(n).every((d) => placed.has(d) || !names.includes(d)));
    if (next === undefined) throw new PluginError('invalid-wit', `the interfaces ${names.filter((n) => !placed.has(n)).join(', ')} depend on each other in a cycle`);
    placed.add(next);
    order.push(next);
  }
  return order;
}

/** Add an `$id` to the s-expression `(type …)` text. */
const named = (typeText: string, id: string): string => typeText.replace(/^\(type(?:\s+\(;\d+;\))?/, `(type $${id}`);

/** The top level of the main package (before its first nested package) and the rest. */
function splitTopLevel(text: string): [string, string] {
  const nestedAt = /\n\s*package\s+[^;{]+\{/.exec(text);
  const cut = nestedAt ? nestedAt.index : text.length;
  return [text.slice(0, cut), text.slice(cut)];
}

export interface EncodedWitPackage {
  /** `ns:name@version` of the encoded package. */
  package: string;
  bytes: Uint8Array;
  worlds: string[];
  interfaces: string[];
}

/**
 * Encode the main package of a WIT text (nested `package … { }` blocks are its dependencies) as
 * a binary WIT package.
 */
export async function encodeWitPackage(text: string): Promise<EncodedWitPackage> {
  const pkg = PACKAGE_LINE.exec(text)?.[1];
  if (!pkg) throw new PluginError('invalid-wit', 'the WIT has no `package ns:name@version;` line; a binary WIT package needs a package name');
  const worlds = worldNames(text);
  const interfaces = interfaceNames(text);
  if (worlds.length + interfaces.length === 0) throw new PluginError('invalid-wit', `package ${pkg} declares no interface and no world: nothing to encode`);
  // One throwaway world per interface, each exporting only it; names that no world has.
  const taken = new Set(worlds);
  const throwaway = new Map<string, string>();
  for (const iface of interfaces) {
    let name = `pocket-wit-encode-${iface}`;
    while (taken.has(name)) name += '-x';
    taken.add(name);
    throwaway.set(iface, name);
  }
  const [top, rest] = splitTopLevel(text);
  const extended = `${top}\n${[...throwaway].map(([iface, w]) => `world ${w} { export %${iface}; }`).join('\n')}\n${rest}`;

  const parts: string[] = [];
  let producers: Uint8Array | undefined;
  const encoded = new Map<string, { type: string; deps: string[] }>();
  for (const iface of interfaces) {
    const section = await worldSection(extended, throwaway.get(iface)!);
    producers ??= section.producers;
    const type = interfaceType(section.wat, iface);
    encoded.set(iface, { type, deps: samePackageImports(type, pkg).filter((d) => d !== iface) });
  }
  let n = 0;
  for (const iface of dependencyOrder(interfaces, (i) => encoded.get(i)!.deps)) {
    const id = `i${n++}`;
    parts.push(named(`(type ${encoded.get(iface)!.type})`, id), `(export ${JSON.stringify(iface)} (type $${id}))`);
  }
  for (const world of worlds) {
    const section = await worldSection(text, world);
    producers ??= section.producers;
    const id = `w${n++}`;
    parts.push(named(outerType(section.wat), id), `(export ${JSON.stringify(world)} (type $${id}))`);
  }
  const { parse } = await jco();
  let bytes: Uint8Array;
  try {
    bytes = await parse(`(component\n${parts.join('\n')}\n)`);
  } catch (err) {
    throw new Error(`the package component does not assemble: ${reason(err)}`);
  }
  if (producers) bytes = appendCustomSection(bytes, 'producers', producers);
  return { package: pkg, bytes, worlds, interfaces };
}

/** What `decodeWitPackage` returns: the decoded package's WIT text, and its dependencies' by path. */
export interface DecodedWitPackage {
  /** `package.wit`: the main package, as wit-parser prints it. */
  text: string;
  /** `deps/<ns>-<name>-<version>/package.wit` for each dependency package. */
  deps: Map<string, string>;
}

type UnpackWit = (spec: string | undefined, bytes: Uint8Array) => Promise<Map<string, string>>;

/**
 * Decode a binary WIT package with wit-component's `decode` (which validates it first), as jco's
 * bindgen component ships it (`unpackWit` of `@bytecodealliance/jco-transpile`, a dependency of
 * jco). `expected` (`ns:name@version`) must be the package's name.
 */
export async function decodeWitPackage(bytes: Uint8Array, expected?: string): Promise<DecodedWitPackage> {
  const { unpackWit } = (await import('@bytecodealliance/jco-transpile' as string)) as { unpackWit: UnpackWit };
  let files: Map<string, string>;
  try {
    files = await unpackWit(expected, bytes);
  } catch (err) {
    const e = err as { payload?: { tag?: string; val?: unknown } };
    const detail = e?.payload?.tag ? `${e.payload.tag}${e.payload.val === undefined ? '' : `: ${JSON.stringify(e.payload.val)}`}` : reason(err);
    throw new PluginError('invalid-wit', `not a valid binary WIT package: ${detail}`, { cause: err });
  }
  const text = files.get('package.wit');
  if (text === undefined) throw new PluginError('invalid-wit', 'the decoded package has no package.wit');
  const deps = new Map([...files].filter(([path]) => path !== 'package.wit'));
  return { text, deps };
}

/** A decoded package and its dependencies as one WIT text (dependencies as nested packages). */
export function decodedText(decoded: DecodedWitPackage): string {
  const nestedDeps = [...decoded.deps.values()].map((text) => {
    const m = PACKAGE_LINE.exec(text);
    if (!m) throw new PluginError('invalid-wit', 'a decoded dependency has no package line');
    return `package ${m[1]} {\n${text.slice(0, m.index)}${text.slice(m.index + m[0].length)}\n}\n`;
  });
  return [decoded.text, ...nestedDeps].join('\n');
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Check a binary WIT package against the WIT it was encoded from: wit-component decodes it
 * (validating it with wasmparser), the decoded package has the same name, worlds and interfaces,
 * and encoding the decoded WIT again gives the same bytes (so every world and interface, each
 * type and function of them, is what wit-component makes of the source). Returns the decoded
 * package; throws `invalid-wit` when a check fails.
 */
export async function checkWitPackage(encoded: EncodedWitPackage): Promise<DecodedWitPackage> {
  const decoded = await decodeWitPackage(encoded.bytes, encoded.package);
  const sorted = (names: string[]): string => [...names].sort().join(', ');
  const worlds = worldNames(decoded.text);
  const interfaces = interfaceNames(decoded.text);
  if (sorted(worlds) !== sorted(encoded.worlds) || sorted(interfaces) !== sorted(encoded.interfaces)) {
    throw new PluginError(
      'invalid-wit',
      `the binary WIT package of ${encoded.package} decodes to worlds [${sorted(worlds)}] and interfaces [${sorted(interfaces)}], not [${sorted(encoded.worlds)}] and [${sorted(encoded.interfaces)}]`,
    );
  }
  const again = await encodeWitPackage(decodedText(decoded));
  if (!sameBytes(again.bytes, encoded.bytes)) {
    throw new PluginError('invalid-wit', `the binary WIT package of ${encoded.package} does not encode its decoded WIT back to the same bytes`);
  }
  return decoded;
}
