/**
 * A structural diff of two resolved WIT packages (old and new), with a semver verdict: what a
 * change does to plugins (components built against the old world) and to hosts (embedders that
 * provide the old world's imports and call its exports).
 *
 * Types are compared structurally, as the component model does: aliases and `use` are
 * transparent, records/variants/enums/flags are equal when their fields/cases/flags have the
 * same names, order and (structurally equal) types, resources are equal when they are the same
 * resource (same owner interface and name; package versions are ignored). The names of named
 * types still matter where a component sees them: an interface's type exports are matched by name
 * (aliases and `use`s are type exports too), so a renamed type is reported as removed + added,
 * and a new name for the same structure is an addition. Package versions are ignored when identifying interfaces
 * and types (the main package's own version is what the semver verdict is about).
 *
 * `breaks` says whom a change breaks, following `wasm-tools component semver-check` ("a
 * component built against the old world must remain valid for the new world"):
 *   - 'plugins': existing plugins no longer fit the new world (it also may break hosts; this is
 *     the stronger verdict and the one that needs a major bump);
 *   - 'hosts':   existing plugins still fit, but existing hosts must be updated (they now have to
 *     provide more, or can no longer call something): needs a minor bump;
 *   - 'none':    safe for both.
 * The side of an item decides additions and removals: an interface imported by a world (or
 * used by no world, the library case) is provided by the host: adding to it breaks 'hosts',
 * removing from it breaks 'plugins'. An interface exported by a world is provided by the plugin:
 * adding to it breaks 'plugins', removing from it breaks 'hosts'. Changing anything that exists
 * on both sides (a signature, a type components see) breaks 'plugins'. Which types components
 * see follows wit-component: an exported interface exports every type it has; an imported one
 * (and a world's own types) only the types a function reaches (through params and results,
 * transitively, through `use`, and through resource methods; resources always count). A type
 * only the new side reaches breaks 'hosts' when it changes (new plugins import it, old hosts
 * offer the old one); one no side reaches breaks 'none'.
 * "By side" below means: added -> 'hosts' on the import side, 'plugins' on the export side;
 * removed -> 'plugins' on the import side, 'hosts' on the export side; 'plugins' for an interface
 * both imported and exported. World-level types count as imported.
 *
 * A main-package interface is diffed once, under `interface:<name>`; a world item only reports
 * being added/removed/changed. A dependency interface a world imports or exports (the resolver
 * adds the interfaces that world items `use` as imports) is diffed under the world item's path,
 * e.g. `world:plugin/import:wasi:io/streams/func:read`; a dependency type `use`d by a library
 * interface of the main package is diffed where it is `use`d.
 *
 * Paths are slash-separated `kind:name` segments, for example
 * `interface:host/func:log/param:level`, `interface:types/record:node-error/field:message`,
 * `interface:http/resource:fields/method:get`, `world:plugin/import:pocket:plugin/host`,
 * `world:plugin/export:run/param:x`. A type segment is named after what the type resolves to
 * (`record:`, `variant:`, `enum:`, `flags:`, `resource:`; `type:` for an alias to an anonymous
 * type and for a type whose kind changed). Renamed items are named by their OLD name.
 *
 * Change kinds (`old` / `new` are WIT spellings):
 *   package-renamed         the main package's namespace:name changed (path `package`); plugins
 *   interface-added/removed an interface of the main package; by side
 *   world-added             a new world; none
 *   world-removed           a world is gone; plugins
 *   import-added/removed    a world import (interface, inline interface, function); by side
 *   export-added/removed    a world export; by side
 *   import-changed          a world import changed what it is (interface <-> function...); plugins
 *   export-changed          same for an export; plugins
 *   version-changed         a world imports/exports a dependency interface at another package
 *                           version; none by itself (its content is diffed under the same path)
 *   function-added/removed  a function of an interface; by side (a renamed function is removed
 *                           + added: the name is what components link by)
 *   param-added/removed     a function parameter; plugins
 *   param-renamed           one parameter renamed, same position and type; plugins
 *   param-retyped           a parameter's type changed (structurally); plugins
 *   params-reordered        the parameters kept their names but not their order; plugins
 *   result-changed          a function's result type changed (or appeared/disappeared); plugins
 *   async-changed           a function became async or sync; plugins
 *   type-added/removed      a named type of an interface or world (an alias and a `use` too: each
 *                           is a type export); by side when components see it, else none
 *   type-kind-changed       a named type changed kind (record -> variant...); plugins if seen
 *   type-moved              a type defined here is now `use`d from elsewhere (or the reverse);
 *                           none when structurally identical (and not a resource), else plugins
 *                           if seen (the other end is a type-added/removed of its own)
 *   use-changed             a `use` now names another type; none when structurally identical
 *   alias-changed           a `type x = ...` alias (or a type replaced by/with an alias) changed;
 *                           none when structurally identical, else plugins if seen
 *   field-added/removed/renamed/retyped, fields-reordered      record fields; plugins if seen
 *   case-added/removed/renamed/retyped, cases-reordered        variant and enum cases (retyped:
 *                           a variant case's payload); plugins if seen
 *   flag-added/removed/renamed, flags-reordered                flags; plugins if seen
 *   ("plugins if seen": 'plugins' when old components see the type, 'hosts' when only new ones
 *   do, 'none' when no component does)
 *   constructor-added/removed, method-added/removed, static-added/removed   resource functions;
 *                           by side
 *   constructor-changed, method-changed, static-changed        a resource function's signature
 *                           (params, result, async); plugins
 *   structural-mismatch     added by `applyOracle`, not by the diff: wit-component's semver_check
 *                           finds a world needs more than the changes above say (path
 *                           `world:<name>`, wasmparser's reason in `reason`); plugins when an old
 *                           component no longer fits the new world, hosts when only a new one
 *                           does not fit the old world
 *
 * Changes are sorted by path, then kind.
 */
import semver from 'semver';
import pc from 'picocolors';
import {
  packageKey,
  type Case,
  type Field,
  type Func,
  type Interface,
  type Package,
  type PackageId,
  type Resource,
  type TypeDef,
  type TypeOwner,
  type TypeRef,
  type WitResolve,
  type WitType,
  type World,
  type WorldItem,
} from './model.js';

export type Breaks = 'plugins' | 'hosts' | 'none';

export interface WitChange {
  kind: string;
  path: string;
  old?: string;
  new?: string;
  breaks: Breaks;
  /** Why (a `structural-mismatch`: wasmparser's reason, one line per level, outermost first). */
  reason?: string[];
}

/**
 * wit-component's `semver_check` for one world both old and new have, run both ways
 * (`tools/wit/oracle.ts`): `oldToNew` is the check proper (does a component of the old world fit
 * where one of the new world is expected?), `newToOld` the reverse. `breaks`: 'plugins' when
 * old → new fails, 'hosts' when only new → old fails (an addition), 'none' when both pass.
 */
export interface OracleWorld {
  world: string;
  oldToNew: { ok: boolean; reason?: string[] };
  newToOld: { ok: boolean; reason?: string[] };
  breaks: Breaks;
}

export interface SemverVerdict {
  oldVersion?: string;
  newVersion?: string;
  /**
   * The bump the old version needs: 'major' for a breaking change of a >= 1.0.0 package,
   * 'minor' for an addition there; for a 0.x.y package one step less ('minor' for breaking,
   * 'patch' for additions); for 0.0.x any change needs 'patch' (any bump is major there).
   * When a version is missing or invalid, the semantic level ('major' = breaking, 'minor' =
   * additive) is given.
   */
  required: 'major' | 'minor' | 'patch' | 'none';
  ok: boolean;
  message: string;
}

export interface WitDiff {
  package: string;
  changes: WitChange[];
  semver: SemverVerdict;
  /** exit code rule: false when a change breaks plugins without the required bump, or the version is not a valid increase */
  ok: boolean;
  /** wit-component's verdict per world old and new share, when it was asked (`applyOracle`). */
  oracle?: OracleWorld[];
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** The WIT spelling of a type, e.g. `result<list<u8>, stream-error>`. */
export function renderType(t: WitType): string {
  return renderTypeWith(t, (ref) => ref.name);
}

/** Two types that differ but spell the same (`size` here and `size` there): name their owners. */
function renderPair(a: WitType, b: WitType): [string, string] {
  const x = renderType(a);
  const y = renderType(b);
  if (x !== y) return [x, y];
  const inOwner = (ref: TypeRef): string => `${renderOwner(ref.owner).replace(/^world /, '')}.${ref.name}`;
  const qx = renderTypeWith(a, inOwner);
  const qy = renderTypeWith(b, inOwner);
  if (qx !== qy) return [qx, qy];
  const inPackage = (ref: TypeRef): string => `${packageKey(ref.owner.package)}/${inOwner(ref)}`;
  return [renderTypeWith(a, inPackage), renderTypeWith(b, inPackage)];
}

function renderTypeWith(t: WitType, name: (ref: TypeRef) => string): string {
  const renderType = (u: WitType): string => renderTypeWith(u, name);
  switch (t.kind) {
    case 'primitive':
      return t.name;
    case 'list':
      return t.length === undefined ? `list<${renderType(t.element)}>` : `list<${renderType(t.element)}, ${t.length}>`;
    case 'option':
      return `option<${renderType(t.inner)}>`;
    case 'result':
      if (!t.ok && !t.err) return 'result';
      if (!t.err) return `result<${renderType(t.ok!)}>`;
      return `result<${t.ok ? renderType(t.ok) : '_'}, ${renderType(t.err)}>`;
    case 'tuple':
      return `tuple<${t.items.map(renderType).join(', ')}>`;
    case 'future':
      return t.inner ? `future<${renderType(t.inner)}>` : 'future';
    case 'stream':
      return t.inner ? `stream<${renderType(t.inner)}>` : 'stream';
    case 'own':
      return `own<${name(t.resource)}>`;
    case 'borrow':
      return `borrow<${name(t.resource)}>`;
    case 'named':
      return name(t.ref);
  }
}

/** `func(level: log-level, message: string) -> bool`, `async func()`. */
export function renderFunc(f: Func): string {
  const params = f.params.map((p) => `${p.name}: ${renderType(p.type)}`).join(', ');
  return `${f.async ? 'async ' : ''}func(${params})${f.result ? ` -> ${renderType(f.result)}` : ''}`;
}

function renderOwner(o: TypeOwner): string {
  return o.interface !== undefined ? o.interface : `world ${o.world ?? '?'}`;
}

function renderDef(name: string, d: TypeDef): string {
  switch (d.kind) {
    case 'record':
      return `record ${name} { ${d.fields.map((f) => `${f.name}: ${renderType(f.type)}`).join(', ')} }`;
    case 'variant':
      return `variant ${name} { ${d.cases.map((c) => (c.type ? `${c.name}(${renderType(c.type)})` : c.name)).join(', ')} }`;
    case 'enum':
      return `enum ${name} { ${d.cases.join(', ')} }`;
    case 'flags':
      return `flags ${name} { ${d.flags.join(', ')} }`;
    case 'resource': {
      const parts = [
        ...(d.constructor ? [`constructor${renderFunc(d.constructor).replace(/^(async )?func/, '')}`] : []),
        ...d.methods.map((m) => `${m.name}: ${renderFunc(m)}`),
        ...d.statics.map((m) => `${m.name}: static ${renderFunc(m)}`),
      ];
      return parts.length ? `resource ${name} { ${parts.join('; ')} }` : `resource ${name}`;
    }
    case 'alias':
      return `type ${name} = ${renderType(d.target)}`;
    case 'use':
      return `use ${renderOwner(d.target.owner)}.{${d.target.name === name ? name : `${d.target.name} as ${name}`}}`;
  }
}

function renderItem(key: string, item: WorldItem): string {
  switch (item.kind) {
    case 'interface':
      return `interface ${packageKey(item.ref.package).replace(/^([^@]*)/, `$1/${item.ref.interface}`)}`;
    case 'inline-interface':
      return `interface { ${[...item.iface.functions.keys()].join(', ')} }`;
    case 'function':
      return `${key}: ${renderFunc(item.func)}`;
    case 'type':
      return renderDef(key, item.def);
  }
}

// ---------------------------------------------------------------------------------------------
// One side of the diff: lookups, structural normal forms, reachability

type Concrete = Exclude<TypeDef, { kind: 'alias' } | { kind: 'use' } | Resource>;
type Norm =
  | { kind: 'def'; key: string; def: Concrete }
  | { kind: 'own' | 'borrow' | 'unknown'; key: string }
  | Exclude<WitType, { kind: 'named' } | { kind: 'own' } | { kind: 'borrow' }>;

const MAX_CHAIN = 64;

function pkgName(id: PackageId): string {
  return `${id.namespace}:${id.name}`;
}

class View {
  readonly reach: Set<string>;
  constructor(
    readonly r: WitResolve,
    /** Old main package name -> new one (package renames), so keys compare across sides. */
    private readonly alias: Map<string, string>,
  ) {
    this.reach = this.reachable();
  }

  name(id: PackageId): string {
    const n = pkgName(id);
    return this.alias.get(n) ?? n;
  }

  /** A world item key (`ns:pkg/iface` or a plain name) with package renames applied. */
  itemKey(key: string): string {
    const slash = key.indexOf('/');
    if (slash < 0) return key;
    const n = key.slice(0, slash);
    return (this.alias.get(n) ?? n) + key.slice(slash);
  }

  isMain(id: PackageId): boolean {
    return pkgName(id) === pkgName(this.r.main.id);
  }

  findPackage(id: PackageId): Package | undefined {
    const exact = this.r.packages.get(packageKey(id));
    if (exact) return exact;
    if (this.isMain(id)) return this.r.main;
    for (const p of this.r.packages.values()) if (pkgName(p.id) === pkgName(id)) return p;
    return undefined;
  }

  ownerKey(o: TypeOwner): string {
    return `${this.name(o.package)}/${o.interface !== undefined ? o.interface : `world:${o.world ?? ''}`}`;
  }

  refKey(ref: TypeRef): string {
    return `${this.ownerKey(ref.owner)}#${ref.name}`;
  }

  /** An interface by package and name; inline interfaces of worlds are found by name too. */
  findInterface(id: PackageId, name: string): Interface | undefined {
    const pkg = this.findPackage(id);
    if (!pkg) return undefined;
    const named = pkg.interfaces.get(name);
    if (named) return named;
    for (const w of pkg.worlds.values()) {
      for (const items of [w.imports, w.exports]) {
        for (const item of items.values()) if (item.kind === 'inline-interface' && item.iface.name === name) return item.iface;
      }
    }
    return undefined;
  }

  lookup(ref: TypeRef): TypeDef | undefined {
    const { owner, name } = ref;
    if (owner.interface !== undefined) return this.findInterface(owner.package, owner.interface)?.types.get(name);
    const w = this.findPackage(owner.package)?.worlds.get(owner.world ?? '');
    if (!w) return undefined;
    return w.types.get(name) ?? worldTypeItems(w).get(name);
  }

  /** Follow `use` to where the type is defined. */
  canonical(ref: TypeRef): TypeRef {
    let cur = ref;
    for (let i = 0; i < MAX_CHAIN; i++) {
      const d = this.lookup(cur);
      if (!d || d.kind !== 'use') return cur;
      cur = d.target;
    }
    return cur;
  }

  /** The definition a location resolves to after `use` (aliases are kept). */
  resolved(ref: TypeRef): TypeDef | undefined {
    return this.lookup(this.canonical(ref));
  }

  norm(t: WitType, depth = 0): Norm {
    if (depth > MAX_CHAIN) return { kind: 'unknown', key: '<cycle>' };
    switch (t.kind) {
      case 'own':
      case 'borrow':
        return { kind: t.kind, key: this.refKey(this.canonical(t.resource)) };
      case 'named': {
        const ref = this.canonical(t.ref);
        const def = this.lookup(ref);
        const key = this.refKey(ref);
        if (!def) return { kind: 'unknown', key };
        if (def.kind === 'alias') return this.norm(def.target, depth + 1);
        if (def.kind === 'resource') return { kind: 'own', key };
        if (def.kind === 'use') return { kind: 'unknown', key };
        return { kind: 'def', key, def };
      }
      default:
        return t;
    }
  }

  /** Keys of every named type location reachable from a function (or a resource). */
  private reachable(): Set<string> {
    const seen = new Set<string>();
    const visitRef = (ref: TypeRef): void => {
      const key = this.refKey(ref);
      if (seen.has(key)) return;
      seen.add(key);
      const d = this.lookup(ref);
      if (!d) return;
      switch (d.kind) {
        case 'use':
          return visitRef(d.target);
        case 'alias':
          return visitType(d.target);
        case 'record':
          return d.fields.forEach((f) => visitType(f.type));
        case 'variant':
          return d.cases.forEach((c) => c.type && visitType(c.type));
        case 'resource':
          return funcsOf(d).forEach(visitFunc);
        default:
          return;
      }
    };
    const visitType = (t: WitType): void => {
      switch (t.kind) {
        case 'list':
          return visitType(t.element);
        case 'option':
          return visitType(t.inner);
        case 'result':
          if (t.ok) visitType(t.ok);
          if (t.err) visitType(t.err);
          return;
        case 'tuple':
          return t.items.forEach(visitType);
        case 'future':
        case 'stream':
          if (t.inner) visitType(t.inner);
          return;
        case 'own':
        case 'borrow':
          return visitRef(t.resource);
        case 'named':
          return visitRef(t.ref);
        default:
          return;
      }
    };
    const visitFunc = (f: Func): void => {
      f.params.forEach((p) => visitType(p.type));
      if (f.result) visitType(f.result);
    };
    // An exported interface exports every type it has (wit-component encodes them all), so each
    // is a root; an imported one imports only the types its functions use.
    const visitIface = (iface: Interface, owner: TypeOwner, exported = false): void => {
      iface.functions.forEach(visitFunc);
      for (const [name, d] of iface.types) if (exported || d.kind === 'resource') visitRef({ owner, name });
    };
    const main = this.r.main;
    const exportedMain = new Set<string>();
    for (const w of main.worlds.values()) {
      for (const item of w.exports.values()) if (item.kind === 'interface' && this.isMain(item.ref.package)) exportedMain.add(item.ref.interface);
    }
    for (const [name, iface] of main.interfaces) visitIface(iface, { package: main.id, interface: name }, exportedMain.has(name));
    for (const w of main.worlds.values()) {
      for (const [name, d] of worldTypes(w)) if (d.kind === 'resource') visitRef({ owner: { package: main.id, world: w.name }, name });
      for (const [items, exported] of [
        [w.imports, false],
        [w.exports, true],
      ] as const) {
        for (const item of items.values()) {
          if (item.kind === 'function') visitFunc(item.func);
          else if (item.kind === 'inline-interface') visitIface(item.iface, { package: main.id, interface: item.iface.name }, exported);
          else if (item.kind === 'interface' && !this.isMain(item.ref.package)) {
            const iface = this.findInterface(item.ref.package, item.ref.interface);
            if (iface) visitIface(iface, { package: item.ref.package, interface: item.ref.interface }, exported);
          }
        }
      }
    }
    return seen;
  }

  /**
   * Whether a component sees a type location: reachable from a function (following `use`), or
   * defined in an interface a world exports.
   */
  reaches(ref: TypeRef): boolean {
    let cur = ref;
    for (let i = 0; i < MAX_CHAIN; i++) {
      if (this.reach.has(this.refKey(cur))) return true;
      const d = this.lookup(cur);
      if (!d || d.kind !== 'use') return false;
      cur = d.target;
    }
    return false;
  }
}

function funcsOf(r: Resource): Func[] {
  return [...(r.constructor ? [r.constructor] : []), ...r.methods, ...r.statics];
}

function worldTypeItems(w: World): Map<string, TypeDef> {
  const out = new Map<string, TypeDef>();
  for (const items of [w.imports, w.exports]) for (const [k, item] of items) if (item.kind === 'type') out.set(k, item.def);
  return out;
}

function worldTypes(w: World): Map<string, TypeDef> {
  const out = new Map(w.types);
  for (const [k, d] of worldTypeItems(w)) if (!out.has(k)) out.set(k, d);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Structural equality across the two sides

/**
 * Whether two types are the same type, structurally. `shallow` (for reporting): two references
 * to the same named type location are equal even if its definition changed, since that change
 * is reported once, where the type is defined. Deep (for moves): definitions are compared all
 * the way down.
 */
function eqType(a: WitType, A: View, b: WitType, B: View, shallow = true, depth = 0): boolean {
  if (depth > MAX_CHAIN) return false;
  if (shallow && a.kind === 'named' && b.kind === 'named' && A.refKey(A.canonical(a.ref)) === B.refKey(B.canonical(b.ref))) return true;
  const x = A.norm(a);
  const y = B.norm(b);
  const sub = (p: WitType | undefined, q: WitType | undefined): boolean =>
    p === undefined || q === undefined ? p === q : eqType(p, A, q, B, shallow, depth + 1);
  switch (x.kind) {
    case 'primitive':
      return y.kind === 'primitive' && x.name === y.name;
    case 'list':
      return y.kind === 'list' && x.length === y.length && sub(x.element, y.element);
    case 'option':
      return y.kind === 'option' && sub(x.inner, y.inner);
    case 'result':
      return y.kind === 'result' && sub(x.ok, y.ok) && sub(x.err, y.err);
    case 'tuple':
      return y.kind === 'tuple' && x.items.length === y.items.length && x.items.every((t, i) => sub(t, y.items[i]));
    case 'future':
    case 'stream':
      return y.kind === x.kind && sub(x.inner, y.inner);
    case 'own':
    case 'borrow':
    case 'unknown':
      return y.kind === x.kind && x.key === y.key;
    case 'def':
      return y.kind === 'def' && eqConcrete(x.def, A, y.def, B, shallow, depth + 1);
  }
}

function eqConcrete(a: Concrete, A: View, b: Concrete, B: View, shallow: boolean, depth: number): boolean {
  const sub = (p: WitType | undefined, q: WitType | undefined): boolean =>
    p === undefined || q === undefined ? p === q : eqType(p, A, q, B, shallow, depth + 1);
  switch (a.kind) {
    case 'record':
      return b.kind === 'record' && a.fields.length === b.fields.length && a.fields.every((f, i) => f.name === b.fields[i]?.name && sub(f.type, b.fields[i]?.type));
    case 'variant':
      return b.kind === 'variant' && a.cases.length === b.cases.length && a.cases.every((c, i) => c.name === b.cases[i]?.name && sub(c.type, b.cases[i]?.type));
    case 'enum':
      return b.kind === 'enum' && sameStrings(a.cases, b.cases);
    case 'flags':
      return b.kind === 'flags' && sameStrings(a.flags, b.flags);
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function eqFunc(a: Func, A: View, b: Func, B: View): boolean {
  return (
    Boolean(a.async) === Boolean(b.async) &&
    a.params.length === b.params.length &&
    a.params.every((p, i) => p.name === b.params[i]?.name && eqType(p.type, A, b.params[i]!.type, B)) &&
    (a.result === undefined || b.result === undefined ? a.result === b.result : eqType(a.result, A, b.result, B))
  );
}

// ---------------------------------------------------------------------------------------------
// The diff

type Side = 'import' | 'export' | 'both';

function onAdd(side: Side): Breaks {
  return side === 'import' ? 'hosts' : 'plugins';
}

function onRemove(side: Side): Breaks {
  return side === 'export' ? 'hosts' : 'plugins';
}

/** A place holding types and functions, present on both sides: an interface, a world's types, an inline or dependency interface. */
interface Scope {
  path: string;
  side: Side;
  oldTypes: Map<string, TypeDef>;
  newTypes: Map<string, TypeDef>;
  oldOwner: TypeOwner;
  newOwner: TypeOwner;
  oldFuncs?: Map<string, Func>;
  newFuncs?: Map<string, Func>;
}

interface ListItem {
  name: string;
  type?: WitType;
}

class Differ {
  readonly changes: WitChange[] = [];
  /** Owner keys (new side) of dependency interfaces diffed as world items: their types are reported there. */
  readonly depScopes = new Set<string>();

  constructor(
    readonly A: View,
    readonly B: View,
  ) {}

  add(kind: string, path: string, breaks: Breaks, old?: string, nu?: string): void {
    const c: WitChange = { kind, path, breaks };
    if (old !== undefined) c.old = old;
    if (nu !== undefined) c.new = nu;
    this.changes.push(c);
  }

  // --- types -----------------------------------------------------------------------------

  private segment(view: View, ref: TypeRef): string {
    const d = view.resolved(ref);
    if (!d || d.kind === 'alias' || d.kind === 'use') return `type:${ref.name}`;
    return `${d.kind}:${ref.name}`;
  }

  /** Whether the types at two locations are the same type (structurally; resources by identity). */
  private sameAt(o: TypeRef, n: TypeRef): boolean {
    return eqType({ kind: 'named', ref: o }, this.A, { kind: 'named', ref: n }, this.B, false);
  }

  diffScope(s: Scope): void {
    const names = union(s.oldTypes.keys(), s.newTypes.keys());
    for (const name of names) this.diffTypeAt(s, name);
    if (s.oldFuncs && s.newFuncs) this.diffFuncs(s.path, s.side, s.oldFuncs, s.newFuncs);
  }

  private diffTypeAt(s: Scope, name: string): void {
    const o = s.oldTypes.get(name);
    const n = s.newTypes.get(name);
    const ro: TypeRef = { owner: s.oldOwner, name };
    const rn: TypeRef = { owner: s.newOwner, name };
    // A type export is matched by name (an alias and a `use` name one too): a type components
    // see that appears or disappears is an addition or a removal, whatever its structure.
    if (!o && n) {
      const seg = this.segment(this.B, rn);
      this.add('type-added', `${s.path}/${seg}`, this.B.reaches(rn) ? onAdd(s.side) : 'none', undefined, renderDef(name, n));
      return;
    }
    if (o && !n) {
      const seg = this.segment(this.A, ro);
      this.add('type-removed', `${s.path}/${seg}`, this.A.reaches(ro) ? onRemove(s.side) : 'none', renderDef(name, o));
      return;
    }
    if (!o || !n) return;
    const path = `${s.path}/${this.segment(this.A, ro)}`;
    // A component imports the types its functions reach, and a world offers every type of its
    // interfaces: a changed type breaks old plugins when they import it, else new plugins on
    // old hosts when they do.
    const reach: Breaks = this.A.reaches(ro) ? 'plugins' : this.B.reaches(rn) ? 'hosts' : 'none';
    const same = this.sameAt(ro, rn);
    const oldText = renderDef(name, o);
    const newText = renderDef(name, n);

    if (o.kind === 'use' && n.kind === 'use') {
      const co = this.A.canonical(ro);
      const cn = this.B.canonical(rn);
      if (this.A.refKey(co) === this.B.refKey(cn)) {
        // The same type: a main-package type is diffed where it is defined; so is a dependency's
        // when a world imports or exports its interface; otherwise it is diffed here.
        if (this.B.isMain(cn.owner.package) || this.depScopes.has(this.B.ownerKey(cn.owner))) return;
        const dO = this.A.lookup(co);
        const dN = this.B.lookup(cn);
        if (dO && dN) this.diffDefs(path, s.side, reach, name, dO, dN, co, cn);
        return;
      }
      if (same) this.add('use-changed', path, 'none', oldText, newText);
      else this.add('use-changed', path, reach, oldText, newText);
      return;
    }
    if (o.kind === 'use' || n.kind === 'use') {
      // A definition replaced by a `use` of an identical type elsewhere (or the reverse).
      this.add('type-moved', path, same ? 'none' : reach, oldText, newText);
      return;
    }
    this.diffDefs(path, s.side, reach, name, o, n, ro, rn);
  }

  /** Two definitions (neither a `use`) at the same location. */
  private diffDefs(path: string, side: Side, reach: Breaks, name: string, o: TypeDef, n: TypeDef, ro: TypeRef, rn: TypeRef): void {
    const oldText = renderDef(name, o);
    const newText = renderDef(name, n);
    if (o.kind === 'alias' || n.kind === 'alias' || o.kind === 'use' || n.kind === 'use') {
      const same = o.kind === 'alias' && n.kind === 'alias' ? eqType(o.target, this.A, n.target, this.B) : this.sameAt(ro, rn);
      if (same && oldText === newText) return;
      this.add('alias-changed', path, same ? 'none' : reach, oldText, newText);
      return;
    }
    if (o.kind !== n.kind) {
      this.add('type-kind-changed', path.replace(/\/[a-z]+:([^/]*)$/, '/type:$1'), reach, oldText, newText);
      return;
    }
    const item = (i: ListItem): string => (i.type ? `${i.name}: ${renderType(i.type)}` : i.name);
    const all = { add: reach, remove: reach, change: reach };
    switch (o.kind) {
      case 'record':
        return this.diffList(path, 'field', 'fields', fieldsOf(o.fields), fieldsOf((n as typeof o).fields), true, all, item);
      case 'variant':
        return this.diffList(path, 'case', 'cases', casesOf(o.cases), casesOf((n as typeof o).cases), true, all, (i) =>
          i.type ? `${i.name}(${renderType(i.type)})` : i.name,
        );
      case 'enum':
        return this.diffList(path, 'case', 'cases', namesOf(o.cases), namesOf((n as typeof o).cases), false, all, item);
      case 'flags':
        return this.diffList(path, 'flag', 'flags', namesOf(o.flags), namesOf((n as typeof o).flags), false, all, item);
      case 'resource':
        return this.diffResource(path, side, o, n as Resource);
    }
  }

  private diffResource(path: string, side: Side, o: Resource, n: Resource): void {
    const ctorSig = (f: Func): string => `constructor${renderFunc(f).replace(/^(async )?func/, '')}`;
    if (o.constructor && !n.constructor) this.add('constructor-removed', `${path}/constructor`, onRemove(side), ctorSig(o.constructor));
    else if (!o.constructor && n.constructor) this.add('constructor-added', `${path}/constructor`, onAdd(side), undefined, ctorSig(n.constructor));
    else if (o.constructor && n.constructor && !eqFunc(o.constructor, this.A, n.constructor, this.B))
      this.add('constructor-changed', `${path}/constructor`, 'plugins', ctorSig(o.constructor), ctorSig(n.constructor));
    for (const [what, os, ns] of [
      ['method', o.methods, n.methods],
      ['static', o.statics, n.statics],
    ] as const) {
      const om = new Map(os.map((f) => [f.name, f]));
      const nm = new Map(ns.map((f) => [f.name, f]));
      for (const name of union(om.keys(), nm.keys())) {
        const a = om.get(name);
        const b = nm.get(name);
        const p = `${path}/${what}:${name}`;
        if (a && !b) this.add(`${what}-removed`, p, onRemove(side), renderFunc(a));
        else if (!a && b) this.add(`${what}-added`, p, onAdd(side), undefined, renderFunc(b));
        else if (a && b && !eqFunc(a, this.A, b, this.B)) this.add(`${what}-changed`, p, 'plugins', renderFunc(a), renderFunc(b));
      }
    }
  }

  /**
   * An ordered list of named items (fields, cases, flags, params): added/removed, one rename at
   * the same position with the same type, retyped, and a reorder of the items kept.
   */
  private diffList(
    path: string,
    seg: string,
    plural: string,
    olds: ListItem[],
    news: ListItem[],
    typed: boolean,
    br: { add: Breaks; remove: Breaks; change: Breaks },
    render: (i: ListItem) => string,
  ): void {
    const sameType = (a: ListItem, b: ListItem): boolean =>
      !typed || (a.type === undefined || b.type === undefined ? a.type === b.type : eqType(a.type, this.A, b.type, this.B));
    const oldNames = olds.map((i) => i.name);
    const newNames = news.map((i) => i.name);
    const removed = olds.filter((i) => !newNames.includes(i.name));
    const added = news.filter((i) => !oldNames.includes(i.name));
    const r0 = removed[0];
    const a0 = added[0];
    if (removed.length === 1 && added.length === 1 && r0 && a0 && olds.indexOf(r0) === news.indexOf(a0) && sameType(r0, a0)) {
      this.add(`${seg}-renamed`, `${path}/${seg}:${r0.name}`, br.change, r0.name, a0.name);
    } else {
      for (const i of removed) this.add(`${seg}-removed`, `${path}/${seg}:${i.name}`, br.remove, render(i));
      for (const i of added) this.add(`${seg}-added`, `${path}/${seg}:${i.name}`, br.add, undefined, render(i));
    }
    const keptOld = oldNames.filter((x) => newNames.includes(x));
    const keptNew = newNames.filter((x) => oldNames.includes(x));
    if (!sameStrings(keptOld, keptNew)) this.add(`${plural}-reordered`, path, br.change, keptOld.join(', '), keptNew.join(', '));
    if (!typed) return;
    for (const a of olds) {
      const b = news.find((i) => i.name === a.name);
      if (b && !sameType(a, b)) {
        const [x, y] = a.type && b.type ? renderPair(a.type, b.type) : [a.type ? renderType(a.type) : '(none)', b.type ? renderType(b.type) : '(none)'];
        this.add(`${seg}-retyped`, `${path}/${seg}:${a.name}`, br.change, x, y);
      }
    }
  }

  // --- functions ---------------------------------------------------------------------------

  diffFuncs(path: string, side: Side, olds: Map<string, Func>, news: Map<string, Func>): void {
    for (const name of union(olds.keys(), news.keys())) {
      const a = olds.get(name);
      const b = news.get(name);
      const p = `${path}/func:${name}`;
      if (a && !b) this.add('function-removed', p, onRemove(side), renderFunc(a));
      else if (!a && b) this.add('function-added', p, onAdd(side), undefined, renderFunc(b));
      else if (a && b) this.diffFunc(p, a, b);
    }
  }

  diffFunc(path: string, a: Func, b: Func): void {
    const all = { add: 'plugins', remove: 'plugins', change: 'plugins' } as const;
    this.diffList(path, 'param', 'params', fieldsOf(a.params), fieldsOf(b.params), true, all, (i) => `${i.name}: ${renderType(i.type!)}`);
    const sameResult = a.result === undefined || b.result === undefined ? a.result === b.result : eqType(a.result, this.A, b.result, this.B);
    if (!sameResult) {
      const [x, y] = a.result && b.result ? renderPair(a.result, b.result) : [a.result && renderType(a.result), b.result && renderType(b.result)];
      this.add('result-changed', path, 'plugins', x, y);
    }
    if (Boolean(a.async) !== Boolean(b.async)) this.add('async-changed', path, 'plugins', a.async ? 'async' : 'sync', b.async ? 'async' : 'sync');
  }
}

function fieldsOf(fs: Field[]): ListItem[] {
  return fs.map((f) => ({ name: f.name, type: f.type }));
}

function casesOf(cs: Case[]): ListItem[] {
  return cs.map((c) => (c.type ? { name: c.name, type: c.type } : { name: c.name }));
}

function namesOf(ns: string[]): ListItem[] {
  return ns.map((name) => ({ name }));
}

/** Keys of both, old order first then the new ones (the final order is by path anyway). */
function union<T>(a: Iterable<T>, b: Iterable<T>): T[] {
  return [...new Set([...a, ...b])];
}

/** Which side provides each main-package interface: imported (host), exported (plugin), or both. */
function interfaceSides(views: View[], main: PackageId): Map<string, Side> {
  const out = new Map<string, Side>();
  const mark = (name: string, s: 'import' | 'export'): void => {
    const cur = out.get(name);
    out.set(name, cur === undefined || cur === s ? s : 'both');
  };
  for (const v of views) {
    for (const w of v.r.main.worlds.values()) {
      for (const [items, s] of [
        [w.imports, 'import'],
        [w.exports, 'export'],
      ] as const) {
        for (const item of items.values()) if (item.kind === 'interface' && v.name(item.ref.package) === pkgName(main)) mark(item.ref.interface, s);
      }
    }
  }
  return out;
}

/** Diff two resolved WIT packages: the main package's interfaces and worlds. */
export function diffWit(oldW: WitResolve, newW: WitResolve): WitDiff {
  const oldName = pkgName(oldW.main.id);
  const newName = pkgName(newW.main.id);
  const A = new View(oldW, oldName === newName ? new Map() : new Map([[oldName, newName]]));
  const B = new View(newW, new Map());
  const d = new Differ(A, B);
  if (oldName !== newName) d.add('package-renamed', 'package', 'plugins', oldName, newName);

  const sides = interfaceSides([A, B], newW.main.id);
  const sideOf = (name: string): Side => sides.get(name) ?? 'import';
  const scopes: Scope[] = [];

  // Interfaces of the main package.
  const oldIfaces = oldW.main.interfaces;
  const newIfaces = newW.main.interfaces;
  for (const name of union(oldIfaces.keys(), newIfaces.keys())) {
    const o = oldIfaces.get(name);
    const n = newIfaces.get(name);
    const path = `interface:${name}`;
    if (o && !n) d.add('interface-removed', path, onRemove(sideOf(name)), `interface ${name}`);
    else if (!o && n) d.add('interface-added', path, onAdd(sideOf(name)), undefined, `interface ${name}`);
    else if (o && n) {
      scopes.push({
        path,
        side: sideOf(name),
        oldTypes: o.types,
        newTypes: n.types,
        oldOwner: { package: oldW.main.id, interface: name },
        newOwner: { package: newW.main.id, interface: name },
        oldFuncs: o.functions,
        newFuncs: n.functions,
      });
    }
  }

  // Worlds.
  const oldWorlds = oldW.main.worlds;
  const newWorlds = newW.main.worlds;
  for (const name of union(oldWorlds.keys(), newWorlds.keys())) {
    const o = oldWorlds.get(name);
    const n = newWorlds.get(name);
    const path = `world:${name}`;
    if (o && !n) d.add('world-removed', path, 'plugins', `world ${name}`);
    else if (!o && n) d.add('world-added', path, 'none', undefined, `world ${name}`);
    else if (o && n) {
      scopes.push({
        path,
        side: 'import',
        oldTypes: worldTypes(o),
        newTypes: worldTypes(n),
        oldOwner: { package: oldW.main.id, world: name },
        newOwner: { package: newW.main.id, world: name },
      });
      for (const [dir, oi, ni] of [
        ['import', o.imports, n.imports],
        ['export', o.exports, n.exports],
      ] as const) {
        const oldItems = new Map([...oi].filter(([, i]) => i.kind !== 'type').map(([k, i]) => [A.itemKey(k), i] as const));
        const newItems = new Map([...ni].filter(([, i]) => i.kind !== 'type'));
        for (const key of union(oldItems.keys(), newItems.keys())) {
          const a = oldItems.get(key);
          const b = newItems.get(key);
          const p = `${path}/${dir}:${key}`;
          if (a && !b) d.add(`${dir}-removed`, p, onRemove(dir), renderItem(key, a));
          else if (!a && b) d.add(`${dir}-added`, p, onAdd(dir), undefined, renderItem(key, b));
          else if (a && b) {
            if (a.kind !== b.kind) d.add(`${dir}-changed`, p, 'plugins', renderItem(key, a), renderItem(key, b));
            else if (a.kind === 'function' && b.kind === 'function') d.diffFunc(p, a.func, b.func);
            else if (a.kind === 'inline-interface' && b.kind === 'inline-interface') {
              scopes.push({
                path: p,
                side: dir,
                oldTypes: a.iface.types,
                newTypes: b.iface.types,
                oldOwner: { package: oldW.main.id, interface: a.iface.name },
                newOwner: { package: newW.main.id, interface: b.iface.name },
                oldFuncs: a.iface.functions,
                newFuncs: b.iface.functions,
              });
            } else if (a.kind === 'interface' && b.kind === 'interface' && !B.isMain(b.ref.package)) {
              // A dependency's interface: what the world sees of it is diffed here.
              if (packageKey(a.ref.package) !== packageKey(b.ref.package)) {
                d.add('version-changed', p, 'none', renderItem(key, a).replace(/^interface /, ''), renderItem(key, b).replace(/^interface /, ''));
              }
              const ia = A.findInterface(a.ref.package, a.ref.interface);
              const ib = B.findInterface(b.ref.package, b.ref.interface);
              if (ia && ib) {
                scopes.push({
                  path: p,
                  side: dir,
                  oldTypes: ia.types,
                  newTypes: ib.types,
                  oldOwner: { package: a.ref.package, interface: a.ref.interface },
                  newOwner: { package: b.ref.package, interface: b.ref.interface },
                  oldFuncs: ia.functions,
                  newFuncs: ib.functions,
                });
              }
            }
          }
        }
      }
    }
  }

  for (const s of scopes) if (s.oldFuncs && !B.isMain(s.newOwner.package)) d.depScopes.add(B.ownerKey(s.newOwner));
  for (const s of scopes) d.diffScope(s);

  const changes = dedupe(d.changes).sort((x, y) => cmp(x.path, y.path) || cmp(x.kind, y.kind) || cmp(x.old ?? '', y.old ?? '') || cmp(x.new ?? '', y.new ?? ''));
  const verdict = semverVerdict(changes, oldW.main.id, newW.main.id);
  return { package: newName, changes, semver: verdict, ok: verdict.ok };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dedupe(changes: WitChange[]): WitChange[] {
  const seen = new Set<string>();
  return changes.filter((c) => {
    const k = JSON.stringify([c.kind, c.path, c.old, c.new, c.breaks]);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Semver

type Level = SemverVerdict['required'];
const RANK: Record<Level, number> = { none: 0, patch: 1, minor: 2, major: 3 };

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `2 changes break existing plugins, 1 breaks existing hosts, 1 is safe`. */
function summary(changes: WitChange[]): string {
  const p = changes.filter((c) => c.breaks === 'plugins').length;
  const h = changes.filter((c) => c.breaks === 'hosts').length;
  const s = changes.length - p - h;
  const parts: string[] = [];
  const verb = (n: number, one: string, many: string): string => (parts.length ? `${n} ${n === 1 ? one : many}` : plural(n, `change ${one}`, `changes ${many}`));
  if (p) parts.push(`${verb(p, 'breaks', 'break')} existing plugins`);
  if (h) parts.push(`${verb(h, 'breaks', 'break')} existing hosts`);
  if (s) parts.push(`${verb(s, 'is', 'are')} safe`);
  return parts.length ? parts.join(', ') : 'no changes';
}

/** The verdict on a list of changes: the bump they need from `oldId`'s version, and whether `newId`'s has it. */
export function semverVerdict(changes: WitChange[], oldId: PackageId, newId: PackageId): SemverVerdict {
  const level: Level = changes.some((c) => c.breaks === 'plugins') ? 'major' : changes.some((c) => c.breaks === 'hosts') ? 'minor' : 'none';
  const renamed = pkgName(oldId) !== pkgName(newId);
  const ov = oldId.version;
  const nv = newId.version;
  const base: Pick<SemverVerdict, 'oldVersion' | 'newVersion'> = {};
  if (ov !== undefined) base.oldVersion = ov;
  if (nv !== undefined) base.newVersion = nv;
  const what = summary(changes);
  const renamedText = `the package was renamed (${pkgName(oldId)} → ${pkgName(newId)}): existing plugins and hosts name the old package, so no version makes this compatible (${what})`;
  const done = (required: Level, ok: boolean, message: string): SemverVerdict => ({ ...base, required, ok: ok && !renamed, message: renamed ? renamedText : message });

  if (ov === undefined || nv === undefined || !semver.valid(ov) || !semver.valid(nv)) {
    const problem =
      ov === undefined || nv === undefined
        ? `the ${ov === undefined && nv === undefined ? 'package has no version' : ov === undefined ? 'old package has no version' : 'new package has no version'}`
        : `the version ${!semver.valid(ov) ? ov : nv} is not a valid semver version`;
    if (level === 'major') return done(level, false, `${what}, but ${problem} to show it`);
    return done(level, true, `${what}; ${problem}`);
  }
  const o = semver.parse(ov)!;
  // The bump the old version needs: 0.x.y shifts one step (a minor bump is major), 0.0.x any bump.
  const required: Level =
    level === 'none' ? 'none' : o.major >= 1 ? level : o.minor >= 1 ? (level === 'major' ? 'minor' : 'patch') : 'patch';
  const series = o.major >= 1 ? `a ${o.major}.x package` : o.minor >= 1 ? 'a 0.x package' : 'a 0.0.x package';
  const target = required === 'none' ? ov : semver.inc(ov, required) ?? ov;
  const need = required === 'none' ? 'no version bump is needed' : `${series} needs a ${required} bump (${ov} → ${target})`;

  const order = semver.compare(nv, ov);
  if (order < 0) return done(required, false, `the version went down (${ov} → ${nv}); ${what}`);
  const n = semver.parse(nv)!;
  // Leaving a prerelease of the same version (1.0.0-rc.1 -> 1.0.0 or -rc.2) may break anything.
  const fromPrerelease = o.prerelease.length > 0 && n.major === o.major && n.minor === o.minor && n.patch === o.patch;
  const bump: Level =
    order === 0 ? 'none' : fromPrerelease || n.major !== o.major ? 'major' : n.minor !== o.minor ? 'minor' : 'patch';
  const ok = RANK[bump] >= RANK[required];
  if (required === 'none') return done(required, true, `${what}: ${need} (${ov} → ${nv})`);
  return done(required, ok, `${what}: ${need}, ${ok ? 'and' : 'but'} the new version is ${nv}`);
}

// ---------------------------------------------------------------------------------------------
// The oracle's verdict

const BREAKS_RANK: Record<Breaks, number> = { none: 0, hosts: 1, plugins: 2 };

function levelOf(changes: readonly WitChange[]): Breaks {
  return changes.reduce<Breaks>((m, c) => (BREAKS_RANK[c.breaks] > BREAKS_RANK[m] ? c.breaks : m), 'none');
}

/**
 * The diff with wit-component's verdict per world: the verdict and `ok` are never weaker than the
 * oracle's. A world whose oracle verdict needs more than every change of the diff gets a
 * `structural-mismatch` change carrying wasmparser's reason, so the report says why. The diff may
 * say more than the oracle (an interface no world uses still counts: other packages may import it).
 */
export function applyOracle(d: WitDiff, oldW: WitResolve, newW: WitResolve, worlds: OracleWorld[]): WitDiff {
  const level = levelOf(d.changes);
  const extra: WitChange[] = [];
  for (const w of worlds) {
    if (BREAKS_RANK[w.breaks] <= BREAKS_RANK[level]) continue;
    const reason = (w.breaks === 'plugins' ? w.oldToNew.reason : w.newToOld.reason) ?? [];
    const what =
      w.breaks === 'plugins'
        ? 'a component of the old world no longer fits the new world'
        : 'a component of the new world does not fit the old world (an addition old hosts lack)';
    extra.push({ kind: 'structural-mismatch', path: `world:${w.world}`, breaks: w.breaks, new: what, reason });
  }
  const changes = extra.length === 0 ? d.changes : [...d.changes, ...extra].sort((x, y) => cmp(x.path, y.path) || cmp(x.kind, y.kind));
  const verdict = extra.length === 0 ? d.semver : semverVerdict(changes, oldW.main.id, newW.main.id);
  return { ...d, changes, semver: verdict, ok: verdict.ok, oracle: worlds };
}

// ---------------------------------------------------------------------------------------------
// Report

/** A human-readable report: changes grouped by whom they break, the semver verdict last. */
export function formatDiff(d: WitDiff, opts: { color?: boolean } = {}): string {
  const c = pc.createColors(Boolean(opts.color));
  const lines: string[] = [];
  const versions = d.semver.oldVersion !== undefined || d.semver.newVersion !== undefined ? ` ${d.semver.oldVersion ?? '?'} → ${d.semver.newVersion ?? '?'}` : '';
  lines.push(c.bold(`WIT diff of ${d.package}${versions}: ${d.changes.length === 0 ? 'no changes' : plural(d.changes.length, 'change', 'changes')}`));
  const groups: [Breaks, string, (s: string) => string][] = [
    ['plugins', 'Breaks existing plugins', c.red],
    ['hosts', 'Breaks existing hosts', c.yellow],
    ['none', 'Safe', c.green],
  ];
  for (const [breaks, title, paint] of groups) {
    const group = d.changes.filter((x) => x.breaks === breaks);
    if (group.length === 0) continue;
    lines.push('', paint(`${title} (${group.length}):`));
    const width = Math.max(...group.map((x) => x.kind.length));
    for (const x of group) {
      const value =
        x.old !== undefined && x.new !== undefined ? `${x.old} → ${x.new}` : x.new !== undefined ? `+ ${x.new}` : x.old !== undefined ? `- ${x.old}` : '';
      lines.push(`  ${paint(x.kind.padEnd(width))}  ${x.path}${value ? `  ${c.dim(value)}` : ''}`);
      for (const r of x.reason ?? []) lines.push(`    ${c.dim(r)}`);
    }
  }
  if (d.oracle && d.oracle.length > 0) {
    lines.push('', 'wit-component semver_check:');
    for (const w of d.oracle) {
      const text =
        w.breaks === 'plugins'
          ? c.red('old plugins do not fit the new world (breaks plugins)')
          : w.breaks === 'hosts'
            ? c.yellow('old plugins fit, new plugins need new hosts (breaks hosts)')
            : c.green('compatible both ways (no change a component sees)');
      lines.push(`  world ${w.world}: ${text}`);
    }
  }
  lines.push('', `${d.semver.ok ? c.green('semver ok') : c.red('semver NOT ok')}: ${d.semver.message}`);
  return lines.join('\n');
}
