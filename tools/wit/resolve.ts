/**
 * The WIT resolver: turns parsed files (`parse.ts`) into the structural model of `model.ts`.
 *
 * Files are grouped into packages (a root folder or file, each dependency, every nested
 * `package ... { }` block), then every `use`, named type, interface reference and `include` is
 * resolved: named types point at the interface (or world) and name where they are *defined*,
 * `use` chains are followed, `include`s are expanded (with `with { a as b }` renames), and the
 * interfaces that imported items depend on are added as implicit imports, as wasm-tools does.
 * Items gated `@unstable(feature = f)` are resolved (their names must be right) and then left out
 * of the model unless `f` is enabled, as wit-parser does; a kept item that refers to one left out
 * is an error. Names are unique case-insensitively (component validation compares kebab-case
 * names so), packages may not depend on each other in a cycle, and no `@since` names a version
 * newer than its package's.
 * Every error is a `PluginError('invalid-wit', '<file>:<line>:<col>: <what>; <fix>')`.
 */

import { witError, type Pos } from './lexer.js';
import { interfaceName, packageKey } from './model.js';
import type { Func, Interface, Package, PackageId, TypeDef, TypeOwner, TypeRef, WitResolve, WitType, World, WorldItem } from './model.js';
import type {
  AstExtern, AstFile, AstFunc, AstGates, AstInclude, AstInterface, AstInterfaceItem, AstPackageBody, AstPackageName, AstType,
  AstTypeDef, AstUse, AstWorld, AstWorldItem, Ident, UsePath,
} from './parse.js';

/** Which `@unstable` features count as enabled. By default none: unstable items are left out. */
export interface ResolveOptions {
  /** Features to enable (`@unstable(feature = name)` items are kept). */
  features?: readonly string[];
  /** Keep every `@unstable` item. */
  allFeatures?: boolean;
}

/** The files that form one package: a root folder or file, or one dependency. */
export interface SourceUnit {
  /** The folder or file they came from, for messages. */
  label: string;
  files: AstFile[];
}

/**
 * Resolves a main unit and its dependencies. The main package is the unit's declared package
 * (`package x:y;`), or, when there is none, its first nested package block.
 */
export function resolveUnits(main: SourceUnit, deps: SourceUnit[] = [], options: ResolveOptions = {}): WitResolve {
  const pool = new Map<string, PkgSource>();
  const mainKey = addUnit(pool, main);
  if (mainKey === undefined) throw witError({ file: main.label, line: 1, col: 1 }, 'no package found; start the file with `package ns:name@version;`');
  for (const dep of deps) addUnit(pool, dep);
  return new Resolver(pool, options).run(mainKey);
}

// ---- packages from files ----

interface FileScope {
  file: string;
  body: AstPackageBody;
  /** Top-level `use x:y/z as name;` aliases of this file. */
  aliases: Map<string, { path: UsePath; pos: Pos }>;
}

interface PkgSource {
  id: PackageId;
  key: string;
  pos: Pos;
  scopes: FileScope[];
}

/** Adds a unit's packages to the pool; returns the key of its own (or first nested) package. */
function addUnit(pool: Map<string, PkgSource>, unit: SourceUnit): string | undefined {
  const own = unitPackage(unit);
  const nested = unit.files.flatMap((f) => f.nested.map((n) => packageSource(n.name, [fileScope(f.file, n.body)])));
  const all = own ? [own, ...nested] : nested;
  for (const src of all) addPackage(pool, src);
  return all[0]?.key;
}

function unitPackage(unit: SourceUnit): PkgSource | undefined {
  const declared = unit.files.filter((f) => f.package !== undefined);
  const first = declared[0]?.package;
  if (first === undefined) {
    const item = unit.files.map(firstItemPos).find((p) => p !== undefined);
    if (item) throw witError(item, 'no `package` declaration for this item; start the file with `package ns:name@version;`');
    return undefined;
  }
  for (const other of declared) {
    const decl = other.package as AstPackageName;
    if (packageKey(decl) !== packageKey(first)) {
      throw witError(decl.pos, `package \`${packageKey(decl)}\` does not match \`${packageKey(first)}\` declared at ${at(first.pos)}; all files of a package must declare the same package`);
    }
  }
  return packageSource(first, unit.files.map((f) => fileScope(f.file, f.body)));
}

function firstItemPos(file: AstFile): Pos | undefined {
  return file.body.interfaces[0]?.name.pos ?? file.body.worlds[0]?.name.pos ?? (file.body.uses[0] && pathPos(file.body.uses[0].path));
}

function packageSource(name: AstPackageName, scopes: FileScope[]): PkgSource {
  const id: PackageId = name.version === undefined ? { namespace: name.namespace, name: name.name } : { namespace: name.namespace, name: name.name, version: name.version };
  return { id, key: packageKey(id), pos: name.pos, scopes };
}

function fileScope(file: string, body: AstPackageBody): FileScope {
  const aliases = new Map<string, { path: UsePath; pos: Pos }>();
  for (const use of body.uses) {
    const name = use.as ?? (use.path.kind === 'local' ? use.path.name : use.path.name);
    const seen = aliases.get(name.name);
    if (seen) throw duplicate('top-level `use`', name, seen.pos, `file ${file}`);
    aliases.set(name.name, { path: use.path, pos: name.pos });
  }
  return { file, body, aliases };
}

function addPackage(pool: Map<string, PkgSource>, src: PkgSource): void {
  const existing = pool.get(src.key);
  if (existing === undefined) pool.set(src.key, src);
  else if (canonical(existing) !== canonical(src)) {
    throw witError(src.pos, `package \`${src.key}\` is declared twice with different contents (also at ${at(existing.pos, src.pos)}); keep one copy`);
  }
}

/** The contents of a package without positions or item order, to compare duplicates. */
function canonical(src: PkgSource): string {
  const strip = (key: string, value: unknown): unknown => (key === 'pos' ? undefined : value);
  const items = src.scopes.flatMap((s) => [...s.body.interfaces.map((i) => `i${JSON.stringify(i, strip)}`), ...s.body.worlds.map((w) => `w${JSON.stringify(w, strip)}`)]);
  return items.sort().join('\n');
}

// ---- messages ----

function at(pos: Pos, from?: Pos): string {
  return from && from.file === pos.file ? `${pos.line}:${pos.col}` : `${pos.file}:${pos.line}:${pos.col}`;
}

function duplicate(what: string, name: Ident, first: Pos, where: string, firstName = name.name): Error {
  const same = firstName === name.name ? '' : ` \`${firstName}\`, the same name in another case: kebab-case names are case-insensitive`;
  return witError(name.pos, `duplicate ${what} \`${name.name}\` in ${where} (first at ${at(first, name.pos)}${same}); rename or remove one`);
}

/** Reports duplicates in a list of names, compared case-insensitively as the component model does. */
function checkUnique(names: Ident[], what: string, where: string): void {
  const seen = new Map<string, Ident>();
  for (const name of names) {
    const first = seen.get(name.name.toLowerCase());
    if (first) throw duplicate(what, name, first.pos, where, first.name);
    seen.set(name.name.toLowerCase(), name);
  }
}

/** `a.b.c(-pre)?(+build)?` compared by semver precedence (build metadata ignored). */
function compareVersions(a: string, b: string): number {
  const split = (v: string): [number[], string[] | undefined] => {
    const [core, pre] = v.split('+')[0]!.split(/-(.*)/s) as [string, string | undefined];
    return [core.split('.').map(Number), pre === undefined ? undefined : pre.split('.')];
  };
  const [ca, pa] = split(a);
  const [cb, pb] = split(b);
  for (let i = 0; i < 3; i++) if (ca[i] !== cb[i]) return (ca[i] as number) - (cb[i] as number);
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

// ---- resolution ----

/** `off`: the item is gated by a feature that is not enabled (it is left out of the model). */
type Entry = (
  | { kind: 'def'; pos: Pos; def: AstTypeDef; model?: TypeDef }
  | { kind: 'use'; pos: Pos; target?: TypeRef }
  | { kind: 'func'; pos: Pos }
) & { off?: AstGates };

/** The names visible inside one interface or world. */
interface TypeScope {
  owner: TypeOwner;
  where: string;
  entries: Map<string, Entry>;
  /** Lower-cased names, for case-insensitive duplicates. */
  lower: Map<string, Ident>;
  /** Set when the whole interface or world is left out (its items are then not checked one by one). */
  off?: AstGates;
}

interface ItemEntry {
  kind: 'interface' | 'world';
  src: PkgSource;
  ast: AstInterface | AstWorld;
  scope: FileScope;
}

interface IfaceId {
  package: PackageId;
  interface: string;
}

class Resolver {
  private readonly items = new Map<string, Map<string, ItemEntry>>();
  private readonly interfaces = new Map<string, Interface>();
  private readonly worlds = new Map<string, World>();
  /** The interfaces an interface, inline interface or world `use` type directly uses. */
  private readonly deps = new WeakMap<object, IfaceId[]>();
  /** Interfaces and worlds being resolved, to detect `use` and `include` cycles. */
  private readonly stack: string[] = [];
  /** Which packages refer to which (with the first place each does), to detect package cycles. */
  private readonly packageDeps = new Map<string, Map<string, Pos>>();
  /** The types and functions of each resolved interface that are left out (gated off). */
  private readonly offItems = new WeakMap<Interface, Map<string, AstGates>>();
  /** The models of the types left out of each interface (a `use` that is left out too may name them). */
  private readonly offTypes = new WeakMap<Interface, Map<string, TypeDef>>();
  /** Interfaces and worlds left out (by key `pkg/name`), with their gate. */
  private readonly offKeys = new Map<string, AstGates>();
  /** Whether the item being converted is itself left out (then it may refer to other such items). */
  private converting: AstGates | undefined;
  private readonly features: ReadonlySet<string>;

  constructor(
    private readonly pool: Map<string, PkgSource>,
    private readonly options: ResolveOptions = {},
  ) {
    this.features = new Set(options.features ?? []);
    for (const src of pool.values()) this.items.set(src.key, indexPackage(src));
  }

  run(mainKey: string): WitResolve {
    const packages = new Map<string, Package>();
    for (const src of this.pool.values()) packages.set(src.key, this.resolvePackage(src));
    this.checkPackageCycles();
    return { main: packages.get(mainKey) as Package, packages };
  }

  /** The gate that leaves an item out, when its `@unstable` feature is not enabled. */
  private off(gates: AstGates | undefined): AstGates | undefined {
    const feature = gates?.unstable?.feature;
    return feature !== undefined && !this.options.allFeatures && !this.features.has(feature) ? gates : undefined;
  }

  /** Fails when an item that is kept refers to `name`, which is left out by `gate`. */
  private checkKept(gate: AstGates | undefined, name: Ident, what: string, context: AstGates | undefined = this.converting): void {
    if (gate === undefined || context !== undefined) return;
    const feature = gate.unstable?.feature ?? '';
    throw witError(
      name.pos,
      `${what} \`${name.name}\` is \`@unstable(feature = ${feature})\` and that feature is not enabled, so it is left out, but this item is not; gate this item with \`@unstable(feature = ${feature})\` too, or enable the feature`,
    );
  }

  private resolvePackage(src: PkgSource): Package {
    const gate = src.scopes.map((s) => s.body.versionGate).find((p) => p !== undefined);
    if (gate && src.id.version === undefined) {
      throw witError(gate, `package \`${src.key}\` uses \`@since\`/\`@deprecated\` gates, so it needs a version; declare \`package ${src.key}@x.y.z;\``);
    }
    for (const since of src.scopes.flatMap((s) => s.body.sinces)) {
      if (src.id.version !== undefined && compareVersions(since.version, src.id.version) > 0) {
        throw witError(since.pos, `\`@since(version = ${since.version})\` names a version newer than the package's own (\`${src.key}\`); a gate names the release an item appeared in: use \`${src.id.version}\` or older, or \`@unstable(feature = ...)\` for an unreleased item`);
      }
    }
    const pkg: Package = { id: src.id, interfaces: new Map(), worlds: new Map() };
    for (const scope of src.scopes) {
      for (const alias of scope.aliases.values()) this.findItem(alias.path, scope, src, 'interface', true);
    }
    for (const entry of (this.items.get(src.key) as Map<string, ItemEntry>).values()) {
      const off = this.off(entry.ast.gates);
      if (off) this.offKeys.set(`${src.key}/${entry.ast.name.name}`, off);
      if (entry.kind === 'interface') {
        const iface = this.resolveInterface(entry);
        if (!off) pkg.interfaces.set(entry.ast.name.name, iface);
      } else {
        const world = this.resolveWorld(entry);
        if (!off) pkg.worlds.set(entry.ast.name.name, world);
      }
    }
    return pkg;
  }

  /** Packages may not depend on each other in a cycle (wit-parser sorts them topologically). */
  private checkPackageCycles(): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = [];
    const visit = (key: string): void => {
      if (state.get(key) === 'done') return;
      state.set(key, 'visiting');
      path.push(key);
      for (const [dep, pos] of this.packageDeps.get(key) ?? []) {
        if (state.get(dep) === 'visiting') {
          const cycle = [...path.slice(path.indexOf(dep)), dep];
          const first = this.packageDeps.get(cycle[0] as string)?.get(cycle[1] as string) ?? pos;
          throw witError(first, `packages depend on each other in a cycle: ${cycle.map((k) => `\`${k}\``).join(' -> ')}; move the interfaces they share into one of them, or into a package of their own`);
        }
        visit(dep);
      }
      path.pop();
      state.set(key, 'done');
    };
    for (const key of this.pool.keys()) visit(key);
  }

  // ---- finding interfaces, worlds and packages ----

  private findPackage(path: Extract<UsePath, { kind: 'package' }>): PkgSource {
    const key = `${path.namespace}:${path.package}`;
    const exact = this.pool.get(path.version === undefined ? key : `${key}@${path.version}`);
    if (exact) return exact;
    const versions = [...this.pool.values()].filter((p) => p.id.namespace === path.namespace && p.id.name === path.package);
    const only = versions[0];
    if (path.version === undefined && only && versions.length === 1) return only;
    const wanted = path.version === undefined ? key : `${key}@${path.version}`;
    if (path.version === undefined && versions.length > 1) {
      const example = `${key}/${path.name.name}@${versions[0]?.id.version ?? ''}`;
      throw witError(path.pos, `package \`${key}\` is ambiguous: ${versions.map((v) => `\`${v.key}\``).join(', ')} are present; add a version, like \`${example}\``);
    }
    if (only) throw witError(path.pos, `unknown package \`${wanted}\`; present: ${versions.map((v) => `\`${v.key}\``).join(', ')}; fix the version`);
    throw witError(path.pos, `unknown package \`${wanted}\`; put it in the \`deps/\` folder or declare it in a nested \`package ${wanted} { ... }\` block`);
  }

  /** Finds the interface or world a path names, looking at the file's top-level `use` aliases first. */
  private findItem(path: UsePath, scope: FileScope, src: PkgSource, kind: 'interface' | 'world', noAlias = false): ItemEntry {
    if (path.kind === 'local' && kind === 'interface' && !noAlias) {
      const alias = scope.aliases.get(path.name.name);
      if (alias) return this.findItem(alias.path, scope, src, kind, true);
    }
    const pkg = path.kind === 'local' ? src : this.findPackage(path);
    if (path.kind === 'package') {
      if (pkg === src) {
        throw witError(path.pos, `package \`${src.key}\` refers to itself by its package name, which makes a dependency cycle; name its own interface alone: \`${path.name.name}\``);
      }
      const deps = this.packageDeps.get(src.key) ?? new Map<string, Pos>();
      if (!deps.has(pkg.key)) deps.set(pkg.key, path.pos);
      this.packageDeps.set(src.key, deps);
    }
    const entry = this.items.get(pkg.key)?.get(path.name.name);
    const where = path.kind === 'local' ? '' : ` in package \`${pkg.key}\``;
    if (entry === undefined) {
      const fix = path.kind === 'local' ? `declare \`${kind} ${path.name.name} { ... }\` or fix the name` : 'fix the name';
      throw witError(path.name.pos, `unknown ${kind} \`${path.name.name}\`${where}; ${fix}`);
    }
    if (entry.kind !== kind) throw witError(path.name.pos, `\`${path.name.name}\`${where} is ${entry.kind === 'world' ? 'a world' : 'an interface'}, not ${kind === 'world' ? 'a world' : 'an interface'}`);
    return entry;
  }

  /** Enters an interface or world, failing on a cycle. */
  private enter(key: string, pos: Pos, what: string): void {
    const start = this.stack.indexOf(key);
    if (start >= 0) {
      const keys = [...this.stack.slice(start), key];
      const prefix = key.slice(0, key.lastIndexOf('/') + 1);
      const short = keys.every((k) => k.startsWith(prefix));
      const chain = keys.map((k) => `\`${short ? k.slice(prefix.length) : k}\``).join(' -> ');
      const fix = what === 'use' ? 'move the shared types into an interface that none of them uses' : 'remove one of the includes';
      throw witError(pos, `\`${what}\` cycle: ${chain}; ${fix}`);
    }
    this.stack.push(key);
  }

  // ---- interfaces ----

  private resolveInterface(entry: ItemEntry, pos: Pos = entry.ast.name.pos): Interface {
    const name = entry.ast.name.name;
    const key = `${entry.src.key}/${name}`;
    const done = this.interfaces.get(key);
    if (done) return done;
    this.enter(key, pos, 'use');
    const owner = this.ownerOf(entry.src, name);
    const iface = this.resolveBody((entry.ast as AstInterface).items, entry, owner, `interface \`${name}\``, entry.src.id, this.off(entry.ast.gates));
    this.stack.pop();
    this.interfaces.set(key, iface);
    return iface;
  }

  /** Resolves the items of a named or inline interface. */
  private resolveBody(items: AstInterfaceItem[], entry: ItemEntry, owner: TypeOwner, where: string, pkg?: PackageId, off?: AstGates): Interface {
    const scope: TypeScope = off ? { owner, where, entries: new Map(), lower: new Map(), off } : { owner, where, entries: new Map(), lower: new Map() };
    const deps = this.resolveTypes(items, scope, entry);
    const name = owner.interface as string;
    const iface: Interface = pkg ? { name, package: pkg, types: new Map(), functions: new Map() } : { name, types: new Map(), functions: new Map() };
    this.deps.set(iface, uniqueIds([...deps.values()]));
    const offItems = new Map<string, AstGates>();
    const offTypes = new Map<string, TypeDef>();
    this.offItems.set(iface, offItems);
    this.offTypes.set(iface, offTypes);
    const keep = (item: AstInterfaceItem, name: string): boolean => {
      const gate = this.off(item.gates);
      if (gate) offItems.set(name, gate);
      return gate === undefined;
    };
    for (const item of items) {
      if (item.kind === 'use') {
        for (const n of item.use.names) (keep(item, local(n).name) ? iface.types : offTypes).set(local(n).name, this.useDef(scope, local(n)));
      } else if (item.kind === 'type') (keep(item, item.def.name.name) ? iface.types : offTypes).set(item.def.name.name, this.defModel(scope, item.def.name));
    }
    for (const item of items) {
      if (item.kind !== 'func') continue;
      const func = this.converted(scope.off ?? this.off(item.gates), () => this.convertFunc(item.func, scope));
      if (keep(item, item.func.name.name)) iface.functions.set(item.func.name.name, func);
    }
    return iface;
  }

  /** Runs a conversion in the context of an item that is left out (`off`) or kept. */
  private converted<T>(off: AstGates | undefined, run: () => T): T {
    const saved = this.converting;
    this.converting = off;
    try {
      return run();
    } finally {
      this.converting = saved;
    }
  }

  /**
   * Declares every name of an interface or world body, resolves its `use`s, checks that no type
   * contains itself and converts the type definitions (resources last: their functions look
   * into the other types). Returns the interface each `use` names.
   */
  private resolveTypes(items: ReadonlyArray<AstInterfaceItem | AstWorldItem>, scope: TypeScope, entry: ItemEntry): Map<AstUse, IfaceId> {
    for (const item of items) {
      const off = scope.off ?? this.off(item.gates);
      const gated = <T extends Entry>(e: T): T => (off ? { ...e, off } : e);
      if (item.kind === 'use') for (const n of item.use.names) this.declare(scope, local(n), gated({ kind: 'use', pos: local(n).pos }));
      else if (item.kind === 'type') this.declare(scope, item.def.name, gated({ kind: 'def', pos: item.def.name.pos, def: item.def }));
      else if (item.kind === 'func') this.declare(scope, item.func.name, gated({ kind: 'func', pos: item.func.name.pos }));
    }
    const deps = new Map<AstUse, IfaceId>();
    for (const item of items) {
      if (item.kind !== 'use') continue;
      const off = scope.off ?? this.off(item.gates);
      const id = this.converted(off, () => this.resolveUse(item.use, scope, entry));
      // A use that is left out brings in no implicit import.
      if (!off || scope.off) deps.set(item.use, id);
    }
    checkRecursion(scope);
    const defs = items.flatMap((item) => (item.kind === 'type' ? [item.def] : []));
    const convert = (def: AstTypeDef): void => {
      this.converted(scope.off ?? this.off(def.gates), () => this.convertDef(def, scope));
    };
    for (const def of defs) if (def.kind !== 'resource') convert(def);
    for (const def of defs) if (def.kind === 'resource') convert(def);
    return deps;
  }

  private defModel(scope: TypeScope, name: Ident): TypeDef {
    return (scope.entries.get(name.name) as Extract<Entry, { kind: 'def' }>).model as TypeDef;
  }

  private declare(scope: TypeScope, name: Ident, entry: Entry): void {
    const first = scope.lower.get(name.name.toLowerCase());
    if (first) throw duplicate('name', name, first.pos, scope.where, first.name);
    scope.lower.set(name.name.toLowerCase(), name);
    scope.entries.set(name.name, entry);
  }

  /** Resolves a `use path.{...}` and sets the target of each name; returns the used interface. */
  private resolveUse(use: AstUse, scope: TypeScope, from: ItemEntry): IfaceId {
    const target = this.findItem(use.path, from.scope, from.src, 'interface');
    const iface = this.resolveInterface(target, pathPos(use.path));
    const targetName = interfaceName(target.src.id, iface.name);
    this.checkKept(this.off(target.ast.gates), use.path.kind === 'local' ? use.path.name : { name: targetName, pos: use.path.pos }, 'interface');
    for (const n of use.names) {
      this.checkKept(this.offItems.get(iface)?.get(n.name.name), n.name, 'type');
      const def = iface.types.get(n.name.name) ?? this.offTypes.get(iface)?.get(n.name.name);
      if (def === undefined) {
        const what = iface.functions.has(n.name.name) ? 'a function, not a type; only types can be `use`d' : 'not defined there; check the name';
        throw witError(n.name.pos, `\`${n.name.name}\` in interface \`${targetName}\` is ${what}`);
      }
      const entry = scope.entries.get(local(n).name) as Extract<Entry, { kind: 'use' }>;
      entry.target = def.kind === 'use' ? def.target : { owner: this.ownerOf(target.src, iface.name), name: n.name.name };
    }
    return { package: target.src.id, interface: iface.name };
  }

  /** The shared owner object of an interface's types (identity matters: see `isLocal`). */
  private readonly owners = new Map<string, TypeOwner>();
  private ownerOf(src: PkgSource, name: string): TypeOwner {
    const key = `${src.key}/${name}`;
    const owner = this.owners.get(key) ?? { package: src.id, interface: name };
    this.owners.set(key, owner);
    return owner;
  }

  private useDef(scope: TypeScope, name: Ident): TypeDef {
    return { kind: 'use', target: (scope.entries.get(name.name) as Extract<Entry, { kind: 'use' }>).target as TypeRef };
  }

  // ---- types ----

  private lookupType(scope: TypeScope, name: Ident): TypeRef {
    const entry = scope.entries.get(name.name);
    if (entry === undefined) {
      throw witError(name.pos, `unknown type \`${name.name}\`; define it in ${scope.where} or bring it in with \`use <interface>.{${name.name}};\``);
    }
    if (entry.kind === 'func') throw witError(name.pos, `\`${name.name}\` is a function, not a type`);
    if (!scope.off) this.checkKept(entry.off, name, 'type');
    if (entry.kind === 'use') return entry.target as TypeRef;
    return { owner: scope.owner, name: name.name };
  }

  private convertDef(def: AstTypeDef, scope: TypeScope): TypeDef {
    const where = `${def.kind} \`${def.name.name}\``;
    let model: TypeDef;
    switch (def.kind) {
      case 'record':
        checkUnique(def.fields.map((f) => f.name), 'field', where);
        model = { kind: 'record', fields: def.fields.map((f) => ({ name: f.name.name, type: this.convertType(f.type, scope) })) };
        break;
      case 'variant':
        checkUnique(def.cases.map((c) => c.name), 'case', where);
        model = { kind: 'variant', cases: def.cases.map((c) => (c.type ? { name: c.name.name, type: this.convertType(c.type, scope) } : { name: c.name.name })) };
        break;
      case 'enum':
        checkUnique(def.cases, 'case', where);
        model = { kind: 'enum', cases: def.cases.map((c) => c.name) };
        break;
      case 'flags':
        checkUnique(def.flags, 'flag', where);
        model = { kind: 'flags', flags: def.flags.map((f) => f.name) };
        break;
      case 'alias':
        model = { kind: 'alias', target: this.convertType(def.target, scope) };
        break;
      default:
        model = this.convertResource(def, scope);
    }
    (scope.entries.get(def.name.name) as Extract<Entry, { kind: 'def' }>).model = model;
    return model;
  }

  private convertType(type: AstType, scope: TypeScope): WitType {
    switch (type.kind) {
      case 'primitive':
        return type;
      case 'list':
        return type.length === undefined ? { kind: 'list', element: this.convertType(type.element, scope) } : { kind: 'list', element: this.convertType(type.element, scope), length: type.length };
      case 'option':
        return { kind: 'option', inner: this.convertType(type.inner, scope) };
      case 'result': {
        const result: WitType = { kind: 'result' };
        if (type.ok) result.ok = this.convertType(type.ok, scope);
        if (type.err) result.err = this.convertType(type.err, scope);
        return result;
      }
      case 'tuple':
        return { kind: 'tuple', items: type.items.map((t) => this.convertType(t, scope)) };
      case 'future':
      case 'stream':
        return type.inner ? { kind: type.kind, inner: this.convertType(type.inner, scope) } : { kind: type.kind };
      case 'own':
      case 'borrow':
        return { kind: type.kind, resource: this.resourceRef(type.name, type.kind, scope) };
      case 'named':
        return { kind: 'named', ref: this.lookupType(scope, type.name) };
    }
  }

  /** The resource a handle names, following aliases; fails when it is not a resource. */
  private resourceRef(name: Ident, handle: string, scope: TypeScope): TypeRef {
    let ref = this.lookupType(scope, name);
    for (let hops = 0; hops < 100; hops++) {
      const local = scope.entries.get(ref.name);
      const ast = ref.owner === scope.owner && local?.kind === 'def' ? local.def : undefined;
      const def = ast ? undefined : this.modelDef(ref);
      const kind = ast?.kind ?? def?.kind;
      if (kind === 'resource') return ref;
      if (ast?.kind === 'alias' && ast.target.kind === 'named') ref = this.lookupType(scope, ast.target.name);
      else if (def?.kind === 'alias' && def.target.kind === 'named') ref = def.target.ref;
      else {
        const what = kind === 'alias' ? 'a type alias' : kind === 'enum' ? 'an enum' : `a ${kind ?? 'type'}`;
        throw witError(name.pos, `\`${handle}<${name.name}>\` needs a resource, but \`${name.name}\` is ${what}; pass \`${name.name}\` by value instead`);
      }
    }
    return ref;
  }

  /** The definition a reference to another interface points at. */
  private modelDef(ref: TypeRef): TypeDef | undefined {
    return this.interfaces.get(`${packageKey(ref.owner.package)}/${ref.owner.interface}`)?.types.get(ref.name);
  }

  /** True when a type holds a `borrow<>` anywhere, through named records, variants and aliases. */
  private containsBorrow(type: WitType, scope: TypeScope, seen = new Set<TypeDef>()): boolean {
    switch (type.kind) {
      case 'borrow':
        return true;
      case 'list':
        return this.containsBorrow(type.element, scope, seen);
      case 'option':
        return this.containsBorrow(type.inner, scope, seen);
      case 'future':
      case 'stream':
        return type.inner !== undefined && this.containsBorrow(type.inner, scope, seen);
      case 'result':
        return [type.ok, type.err].some((t) => t !== undefined && this.containsBorrow(t, scope, seen));
      case 'tuple':
        return type.items.some((t) => this.containsBorrow(t, scope, seen));
      case 'named': {
        const local = type.ref.owner === scope.owner ? scope.entries.get(type.ref.name) : undefined;
        const def = local?.kind === 'def' ? local.model : this.modelDef(type.ref);
        if (def === undefined || seen.has(def)) return false;
        seen.add(def);
        if (def.kind === 'record') return def.fields.some((f) => this.containsBorrow(f.type, scope, seen));
        if (def.kind === 'variant') return def.cases.some((c) => c.type !== undefined && this.containsBorrow(c.type, scope, seen));
        return def.kind === 'alias' && this.containsBorrow(def.target, scope, seen);
      }
      default:
        return false;
    }
  }

  // ---- functions and resources ----

  private convertFunc(func: AstFunc, scope: TypeScope, what = 'function'): Func {
    checkUnique(func.params.map((p) => p.name), 'parameter', `${what} \`${func.name.name}\``);
    const result: Func = { name: func.name.name, params: func.params.map((p) => ({ name: p.name.name, type: this.convertType(p.type, scope) })) };
    if (func.result) {
      result.result = this.convertType(func.result, scope);
      if (this.containsBorrow(result.result, scope)) {
        throw witError(func.name.pos, `${what} \`${func.name.name}\` returns a \`borrow<...>\` handle; only parameters can borrow, return an owned handle instead`);
      }
    }
    if (func.async) result.async = true;
    return result;
  }

  private convertResource(def: Extract<AstTypeDef, { kind: 'resource' }>, scope: TypeScope): TypeDef {
    const where = `resource \`${def.name.name}\``;
    checkUnique([...def.methods, ...def.statics].map((f) => f.name), 'method', where);
    for (const method of def.methods) {
      const self = method.params.find((p) => p.name.name === 'self');
      if (self) throw witError(self.name.pos, `parameter \`self\` of method \`${method.name.name}\` is implicit; rename the parameter`);
    }
    // A function gated off is converted (its names must be right) and then left out.
    const convert = (f: AstFunc, what: string): Func | undefined => {
      const off = this.converting ?? this.off(f.gates);
      const func = this.converted(off, () => this.convertFunc(f, scope, what));
      return this.off(f.gates) ? undefined : func;
    };
    const ctor = def.ctor ? convert(def.ctor, 'constructor of') : undefined;
    const ok = ctor?.result?.kind === 'result' ? ctor.result.ok : undefined;
    if (ctor?.result && !(ok?.kind === 'named' && ok.ref.owner === scope.owner && ok.ref.name === def.name.name)) {
      throw witError((def.ctor as AstFunc).name.pos, `a constructor's return type must be \`result<${def.name.name}>\` or \`result<${def.name.name}, E>\`; or leave it out`);
    }
    const kept = (fs: AstFunc[], what: string): Func[] => fs.flatMap((f) => convert(f, what) ?? []);
    return { kind: 'resource', constructor: ctor, methods: kept(def.methods, 'method'), statics: kept(def.statics, 'static function') };
  }

  // ---- worlds ----

  private resolveWorld(entry: ItemEntry, pos: Pos = entry.ast.name.pos): World {
    const ast = entry.ast as AstWorld;
    const key = `${entry.src.key}/${ast.name.name}`;
    const done = this.worlds.get(key);
    if (done) return done;
    this.enter(`world:${key}`, pos, 'include');
    const world: World = { name: ast.name.name, package: entry.src.id, imports: new Map(), exports: new Map(), types: new Map() };
    const worldOff = this.off(ast.gates);
    const scope: TypeScope = { owner: { package: entry.src.id, world: ast.name.name }, where: `world \`${ast.name.name}\``, entries: new Map(), lower: new Map() };
    if (worldOff) scope.off = worldOff;
    const useDeps = this.resolveTypes(ast.items, scope, entry);
    const explicit = new Set<string>();
    // Items gated off are resolved (their names must be right) into a world that is thrown away.
    const scratch: World = { ...world, imports: new Map(), exports: new Map(), types: new Map() };
    for (const item of ast.items) {
      const itemOff = this.off(item.gates);
      const into = itemOff && !worldOff ? scratch : world;
      this.converted(worldOff ?? itemOff, () => {
        if (item.kind === 'use') {
          for (const n of item.use.names) {
            const def = this.useDef(scope, local(n));
            this.deps.set(def, [useDeps.get(item.use) as IfaceId]);
            this.addWorldType(into, local(n), def);
          }
        } else if (item.kind === 'type') this.addWorldType(into, item.def.name, this.defModel(scope, item.def.name));
        else if (item.kind === 'include') this.include(item.include, entry, into);
        else this.addExtern(into, item.kind, item.extern, entry, scope, explicit, item.gates);
      });
    }
    this.elaborate(world);
    this.stack.pop();
    this.worlds.set(key, world);
    return world;
  }

  private addWorldType(world: World, name: Ident, def: TypeDef): void {
    if (world.imports.has(name.name)) throw witError(name.pos, `type \`${name.name}\` conflicts with the import of the same name in world \`${world.name}\`; rename one`);
    world.types.set(name.name, def);
    world.imports.set(name.name, { kind: 'type', def });
  }

  /** Adds an import or export; an interface an `include` brought in already is not a duplicate. */
  private addExtern(world: World, kind: 'import' | 'export', extern: AstExtern, entry: ItemEntry, scope: TypeScope, explicit: Set<string>, gates?: AstGates): void {
    const [key, item, name] = this.externItem(extern, entry, scope, world, gates);
    const map = kind === 'import' ? world.imports : world.exports;
    const included = extern.kind === 'path' && !explicit.has(`${kind} ${key}`);
    explicit.add(`${kind} ${key}`);
    if (included && map.has(key)) return;
    if (map.has(key)) {
      const conflict = kind === 'import' && world.types.has(key) ? `import \`${key}\` conflicts with the type of the same name` : `duplicate ${kind} \`${key}\``;
      throw witError(name.pos, `${conflict} in world \`${world.name}\`; rename or remove one`);
    }
    const other = key.includes('/') ? undefined : [...map.keys()].find((k) => k.toLowerCase() === key.toLowerCase());
    if (other !== undefined) {
      throw witError(name.pos, `${kind} \`${key}\` conflicts with ${kind} \`${other}\` in world \`${world.name}\`: kebab-case names are case-insensitive; rename one`);
    }
    map.set(key, item);
  }

  /** The key a component sees for an import or export, and the item. */
  private externItem(extern: AstExtern, entry: ItemEntry, scope: TypeScope, world: World, gates?: AstGates): [string, WorldItem, Ident] {
    switch (extern.kind) {
      case 'path':
      case 'named-path': {
        const target = this.findItem(extern.path, entry.scope, entry.src, 'interface');
        const iface = this.resolveInterface(target);
        this.checkKept(this.off(target.ast.gates), extern.path.kind === 'local' ? extern.path.name : { name: pathText(extern.path), pos: extern.path.pos }, 'interface');
        const ref = { package: target.src.id, interface: iface.name };
        const name = extern.kind === 'path' ? extern.path.name : extern.name;
        return [extern.kind === 'path' ? interfaceName(target.src.id, iface.name) : extern.name.name, { kind: 'interface', ref }, name];
      }
      case 'func':
        return [extern.name.name, { kind: 'function', func: this.convertFunc(extern.func, scope) }, extern.name];
      case 'interface': {
        const owner: TypeOwner = { package: entry.src.id, interface: extern.name.name };
        const iface = this.resolveBody(extern.iface.items, entry, owner, `interface \`${extern.name.name}\` of world \`${world.name}\``, undefined, this.converting ?? this.off(gates));
        return [extern.name.name, { kind: 'inline-interface', iface }, extern.name];
      }
    }
  }

  /** Expands `include path with { a as b }` into the world. */
  private include(include: AstInclude, entry: ItemEntry, world: World): void {
    const target = this.findItem(include.path, entry.scope, entry.src, 'world');
    const included = this.resolveWorld(target, pathPos(include.path));
    this.checkKept(this.off(target.ast.gates), include.path.kind === 'local' ? include.path.name : { name: pathText(include.path), pos: include.path.pos }, 'world');
    const renames = new Map(include.with.map((w) => [w.from.name, w.to.name]));
    for (const w of include.with) {
      if (!included.imports.has(w.from.name) && !included.exports.has(w.from.name)) {
        throw witError(w.from.pos, `world \`${included.name}\` has no plain-named import or export \`${w.from.name}\` to rename; check the name`);
      }
    }
    this.merge(included.imports, world.imports, 'import', renames, include, included.name);
    this.merge(included.exports, world.exports, 'export', renames, include, included.name);
  }

  private merge(from: Map<string, WorldItem>, into: Map<string, WorldItem>, kind: string, renames: Map<string, string>, include: AstInclude, name: string): void {
    for (const [key, item] of from) {
      if (item.kind === 'interface' && key.includes('/')) {
        if (!into.has(key)) into.set(key, item);
        continue;
      }
      const newKey = renames.get(key) ?? key;
      if (into.has(newKey)) {
        const path = pathText(include.path);
        throw witError(include.pos, `${kind} \`${newKey}\` of world \`${name}\` conflicts with an item of the same name; rename it with \`include ${path} with { ${newKey} as other-name }\``);
      }
      into.set(newKey, item);
    }
  }

  /** Adds the interfaces that imports (and exports) use as imports, before their users. */
  private elaborate(world: World): void {
    const imports = new Map<string, WorldItem>();
    const add = (id: IfaceId): void => {
      const key = interfaceName(id.package, id.interface);
      if (imports.has(key)) return;
      for (const dep of this.itemDeps({ kind: 'interface', ref: id })) add(dep);
      imports.set(key, { kind: 'interface', ref: id });
    };
    for (const [key, item] of world.imports) {
      for (const dep of this.itemDeps(item)) add(dep);
      if (!imports.has(key)) imports.set(key, item);
    }
    for (const item of world.exports.values()) {
      for (const dep of this.itemDeps(item)) if (!world.exports.has(interfaceName(dep.package, dep.interface))) add(dep);
    }
    world.imports.clear();
    for (const [key, item] of imports) world.imports.set(key, item);
  }

  private itemDeps(item: WorldItem): IfaceId[] {
    switch (item.kind) {
      case 'interface': {
        const iface = this.interfaces.get(`${packageKey(item.ref.package)}/${item.ref.interface}`);
        return iface ? (this.deps.get(iface) ?? []) : [];
      }
      case 'inline-interface':
        return this.deps.get(item.iface) ?? [];
      case 'type':
        return this.deps.get(item.def) ?? [];
      default:
        return [];
    }
  }
}

/** Indexes a package's interfaces and worlds by name, in source order. */
function indexPackage(src: PkgSource): Map<string, ItemEntry> {
  const items = new Map<string, ItemEntry>();
  const add = (kind: 'interface' | 'world', ast: AstInterface | AstWorld, scope: FileScope): void => {
    const first = items.get(ast.name.name);
    if (first) throw duplicate('interface or world', ast.name, first.ast.name.pos, `package \`${src.key}\``);
    items.set(ast.name.name, { kind, src, ast, scope });
  };
  for (const scope of src.scopes) {
    for (const iface of scope.body.interfaces) add('interface', iface, scope);
    for (const world of scope.body.worlds) add('world', world, scope);
  }
  for (const scope of src.scopes) {
    for (const [name, alias] of scope.aliases) {
      if (items.has(name)) throw witError(alias.pos, `\`${name}\` is both a top-level \`use\` and an item of package \`${src.key}\`; rename it with \`as\``);
    }
  }
  return items;
}

/** The name a `use` item gives a type locally. */
function local(n: { name: Ident; as?: Ident }): Ident {
  return n.as ?? n.name;
}

function pathPos(path: UsePath): Pos {
  return path.kind === 'local' ? path.name.pos : path.pos;
}

function pathText(path: UsePath): string {
  if (path.kind === 'local') return path.name.name;
  return `${path.namespace}:${path.package}/${path.name.name}${path.version === undefined ? '' : `@${path.version}`}`;
}

function uniqueIds(ids: IfaceId[]): IfaceId[] {
  const seen = new Map<string, IfaceId>();
  for (const id of ids) seen.set(`${packageKey(id.package)}/${id.interface}`, id);
  return [...seen.values()];
}

/** Fails when a type defined in the scope contains itself (handles excepted). */
function checkRecursion(scope: TypeScope): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    const entry = scope.entries.get(name);
    if (entry?.kind !== 'def' || state.get(name) === 'done') return;
    state.set(name, 'visiting');
    for (const ref of namedIn(entry.def)) {
      if (state.get(ref.name) === 'visiting') {
        throw witError(ref.pos, `type \`${ref.name}\` refers to itself; WIT types cannot be recursive`);
      }
      visit(ref.name);
    }
    state.set(name, 'done');
  };
  for (const name of scope.entries.keys()) visit(name);
}

/** The named types (not handles) a definition mentions. */
function namedIn(def: AstTypeDef): Ident[] {
  const out: Ident[] = [];
  const walk = (type: AstType | undefined): void => {
    if (type === undefined) return;
    if (type.kind === 'named') out.push(type.name);
    else if (type.kind === 'list') walk(type.element);
    else if (type.kind === 'option' || type.kind === 'future' || type.kind === 'stream') walk(type.inner);
    else if (type.kind === 'result') [type.ok, type.err].forEach(walk);
    else if (type.kind === 'tuple') type.items.forEach(walk);
  };
  if (def.kind === 'record') def.fields.forEach((f) => walk(f.type));
  else if (def.kind === 'variant') def.cases.forEach((c) => walk(c.type));
  else if (def.kind === 'alias') walk(def.target);
  return out;
}
