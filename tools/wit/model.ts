/**
 * The structural model of a resolved WIT package: what `parse.ts` builds from WIT text and what
 * `diff.ts` compares. Every named type reference is resolved to the package, interface (or world)
 * and name where the type is *defined* (after following `use`), so that two models can be
 * compared structurally, as the component model does, not as text.
 */

/** `ns:name` or `ns:name@1.2.3`. */
export interface PackageId {
  namespace: string;
  name: string;
  version?: string;
}

/** Where a named type is defined: an interface of a package, or a world of a package. */
export interface TypeOwner {
  package: PackageId;
  /** Exactly one of `interface` and `world` is set. */
  interface?: string;
  world?: string;
}

/** A reference to a named type: its owner and its name there. */
export interface TypeRef {
  owner: TypeOwner;
  name: string;
}

export type PrimitiveName =
  | 'bool'
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 's8'
  | 's16'
  | 's32'
  | 's64'
  | 'f32'
  | 'f64'
  | 'char'
  | 'string'
  | 'error-context';

/** A type as it appears in a field, parameter, result or alias. */
export type WitType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'list'; element: WitType; length?: number }
  | { kind: 'option'; inner: WitType }
  | { kind: 'result'; ok?: WitType; err?: WitType }
  | { kind: 'tuple'; items: WitType[] }
  | { kind: 'future'; inner?: WitType }
  | { kind: 'stream'; inner?: WitType }
  | { kind: 'own'; resource: TypeRef }
  | { kind: 'borrow'; resource: TypeRef }
  /** A named type (record, variant, enum, flags, resource, alias); for a resource it means `own`. */
  | { kind: 'named'; ref: TypeRef };

export interface Field {
  name: string;
  type: WitType;
}

export interface Case {
  name: string;
  type?: WitType;
}

export interface Func {
  name: string;
  params: Field[];
  result?: WitType;
  async?: boolean;
}

export interface Resource {
  kind: 'resource';
  constructor?: Func;
  methods: Func[];
  statics: Func[];
}

/** A named type definition. `use` is kept as its own kind so a diff can say "now comes from X". */
export type TypeDef =
  | { kind: 'record'; fields: Field[] }
  | { kind: 'variant'; cases: Case[] }
  | { kind: 'enum'; cases: string[] }
  | { kind: 'flags'; flags: string[] }
  | Resource
  | { kind: 'alias'; target: WitType }
  | { kind: 'use'; target: TypeRef };

/** Items are kept in source order (order matters for records, variants, enums, flags, params). */
export interface Interface {
  name: string;
  /** Undefined for an interface declared inline in a world. */
  package?: PackageId;
  types: Map<string, TypeDef>;
  functions: Map<string, Func>;
}

/** One import or export of a world. */
export type WorldItem =
  | { kind: 'interface'; ref: { package: PackageId; interface: string } }
  | { kind: 'inline-interface'; iface: Interface }
  | { kind: 'function'; func: Func }
  | { kind: 'type'; def: TypeDef };

export interface World {
  name: string;
  package: PackageId;
  /**
   * Keyed by the name a component sees: `ns:pkg/iface` (no version) for a named interface, the
   * plain name for a function or an inline interface. `include` is already expanded.
   */
  imports: Map<string, WorldItem>;
  exports: Map<string, WorldItem>;
  /** Types declared (or `use`d) at world level. */
  types: Map<string, TypeDef>;
}

export interface Package {
  id: PackageId;
  interfaces: Map<string, Interface>;
  worlds: Map<string, World>;
}

/** A fully resolved WIT package with its dependencies. */
export interface WitResolve {
  /** The package the input was about (the root folder's or file's package). */
  main: Package;
  /** Every package, the main one included, keyed by {@link packageKey}. */
  packages: Map<string, Package>;
}

/** `ns:name@version` (or `ns:name` when unversioned): the key of a package in {@link WitResolve.packages}. */
export function packageKey(id: PackageId): string {
  return `${id.namespace}:${id.name}${id.version ? `@${id.version}` : ''}`;
}

/** `ns:name/iface`, without version: the name a component sees for a named interface. */
export function interfaceName(pkg: PackageId, iface: string): string {
  return `${pkg.namespace}:${pkg.name}/${iface}`;
}
