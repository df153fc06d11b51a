/**
 * The WIT parser: a recursive-descent parser from the tokens of `lexer.ts` to the syntax tree
 * defined here (`AstFile`). It covers the WIT grammar of the component model's WIT.md as used by
 * the `wasi:` packages: package declarations and nested `package ... { }` blocks, top-level
 * `use`, interfaces (types, resources, functions, `use`), worlds (imports, exports, `use`,
 * types, `include ... with { }`), feature gates (`@since`, `@unstable`, `@deprecated`,
 * `@external-id`, kept on the item they gate) and every type form. Besides syntax it checks what
 * wit-parser and component validation check without names: no empty record, flags or tuple, at most
 * 32 flags, lower-case package names, one gate of each kind per item. Names are resolved by
 * `resolve.ts`.
 */

import { describeToken, tokenize, witError, type Pos, type Token } from './lexer.js';
import type { PrimitiveName } from './model.js';

export type { Pos } from './lexer.js';

export interface Ident {
  name: string;
  pos: Pos;
}

/** `name` (an interface in scope) or `ns:pkg/iface@version`. */
export type UsePath =
  | { kind: 'local'; name: Ident }
  | { kind: 'package'; namespace: string; package: string; version?: string; name: Ident; pos: Pos };

export type AstType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'list'; element: AstType; length?: number }
  | { kind: 'option'; inner: AstType }
  | { kind: 'result'; ok?: AstType; err?: AstType }
  | { kind: 'tuple'; items: AstType[] }
  | { kind: 'future'; inner?: AstType }
  | { kind: 'stream'; inner?: AstType }
  | { kind: 'own'; name: Ident }
  | { kind: 'borrow'; name: Ident }
  | { kind: 'named'; name: Ident };

/** The feature gates on one item; `pos` is the first `@`. */
export interface AstGates {
  pos: Pos;
  /** `@since(version = v)`; `pos` is the version's. */
  since?: { version: string; pos: Pos };
  /** `@unstable(feature = f)`: the item is left out unless the feature is enabled. */
  unstable?: { feature: string; pos: Pos };
  deprecated?: { version: string; pos: Pos };
}

export interface AstField {
  name: Ident;
  type: AstType;
}

export interface AstCase {
  name: Ident;
  type?: AstType;
}

export interface AstFunc {
  name: Ident;
  params: AstField[];
  result?: AstType;
  async: boolean;
  /** Gates of a resource method, static function or constructor. */
  gates?: AstGates;
}

export interface AstResource {
  kind: 'resource';
  name: Ident;
  /** `constructor(...)`, named `ctor` because `constructor` clashes with Object.prototype. */
  ctor?: AstFunc;
  methods: AstFunc[];
  statics: AstFunc[];
}

export type AstTypeDef = (
  | { kind: 'record'; name: Ident; fields: AstField[] }
  | { kind: 'variant'; name: Ident; cases: AstCase[] }
  | { kind: 'enum'; name: Ident; cases: Ident[] }
  | { kind: 'flags'; name: Ident; flags: Ident[] }
  | AstResource
  | { kind: 'alias'; name: Ident; target: AstType }
) & { gates?: AstGates };

export interface AstUse {
  path: UsePath;
  names: { name: Ident; as?: Ident }[];
  pos: Pos;
}

/** Every item carries the gates written before it, if any. */
export type AstInterfaceItem = (
  | { kind: 'use'; use: AstUse }
  | { kind: 'type'; def: AstTypeDef }
  | { kind: 'func'; func: AstFunc }
) & { gates?: AstGates };

export interface AstInterface {
  name: Ident;
  items: AstInterfaceItem[];
  gates?: AstGates;
}

/** What a world imports or exports. */
export type AstExtern =
  | { kind: 'path'; path: UsePath }
  | { kind: 'named-path'; name: Ident; path: UsePath }
  | { kind: 'func'; name: Ident; func: AstFunc }
  | { kind: 'interface'; name: Ident; iface: AstInterface };

export interface AstInclude {
  path: UsePath;
  with: { from: Ident; to: Ident }[];
  pos: Pos;
}

export type AstWorldItem = (
  | { kind: 'import' | 'export'; extern: AstExtern; pos: Pos }
  | { kind: 'use'; use: AstUse }
  | { kind: 'type'; def: AstTypeDef }
  | { kind: 'include'; include: AstInclude }
) & { gates?: AstGates };

export interface AstWorld {
  name: Ident;
  items: AstWorldItem[];
  gates?: AstGates;
}

export interface AstPackageName {
  namespace: string;
  name: string;
  version?: string;
  pos: Pos;
}

/** The items of a package in one file: top-level `use`, interfaces and worlds, in source order. */
export interface AstPackageBody {
  uses: { path: UsePath; as?: Ident }[];
  interfaces: AstInterface[];
  worlds: AstWorld[];
  /** The first `@since`/`@deprecated` gate, if any (such a package needs a version). */
  versionGate?: Pos;
  /** Every `@since` version (no gate may name a version newer than the package's). */
  sinces: { version: string; pos: Pos }[];
}

export interface AstNestedPackage {
  name: AstPackageName;
  body: AstPackageBody;
}

export interface AstFile {
  file: string;
  /** The `package ns:name@ver;` line, if the file has one. */
  package?: AstPackageName;
  /** Items outside any nested package block. */
  body: AstPackageBody;
  nested: AstNestedPackage[];
}

/** Parses one WIT file. */
export function parseWitFile(text: string, file: string): AstFile {
  return new Parser(tokenize(text, file), file).parseFile();
}

const PRIMITIVES: ReadonlyMap<string, PrimitiveName> = new Map([
  ...(['bool', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64', 'char', 'string', 'error-context'] as const).map(
    (name) => [name, name] as const,
  ),
  ['float32', 'f32'],
  ['float64', 'f64'],
]);

const TYPEDEF_KEYWORDS = new Set(['type', 'record', 'variant', 'enum', 'flags', 'resource']);

class Parser {
  private index = 0;
  /** Set while parsing the body of one package, to record version gates. */
  private body: AstPackageBody = emptyBody();

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  // ---- token helpers ----

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token;
  }

  private is(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return (token.kind === 'punct' || token.kind === 'keyword') && token.text === text;
  }

  private bump(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private eat(text: string): boolean {
    if (!this.is(text)) return false;
    this.bump();
    return true;
  }

  private fail(expected: string, token: Token = this.peek()): never {
    throw witError(token.pos, `expected ${expected}, found ${describeToken(token)}`);
  }

  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`\`${text}\``);
    return this.bump();
  }

  private ident(what = 'an identifier'): Ident {
    const token = this.peek();
    if (token.kind !== 'id') {
      const hint = token.kind === 'keyword' ? ` (write \`%${token.text}\` to use a keyword as a name)` : '';
      throw witError(token.pos, `expected ${what}, found ${describeToken(token)}${hint}`);
    }
    this.bump();
    return { name: token.text, pos: token.pos };
  }

  private version(): string {
    const token = this.peek();
    if (token.kind !== 'version') this.fail('a semver version like `0.2.0`');
    this.bump();
    return token.text;
  }

  /** `item (, item)* ,?` up to `close`, which is consumed. */
  private commaList<T>(close: string, item: () => T): T[] {
    const items: T[] = [];
    while (!this.eat(close)) {
      items.push(item());
      if (!this.eat(',')) {
        this.expect(close);
        break;
      }
    }
    return items;
  }

  // ---- files and packages ----

  parseFile(): AstFile {
    const result: AstFile = { file: this.file, body: emptyBody(), nested: [] };
    this.body = result.body;
    this.noGates(this.gates(), 'a package');
    if (this.is('package')) {
      const name = this.packageName();
      if (this.eat(';')) result.package = name;
      else if (this.is('{')) result.nested.push(this.nestedPackage(name));
      else this.fail('`;` or `{`');
    }
    while (this.peek().kind !== 'eof') {
      this.body = result.body;
      const gates = this.gates();
      if (this.is('package')) {
        this.noGates(gates, 'a package');
        result.nested.push(this.nestedPackage(this.packageName()));
      } else this.packageItem(result.body, gates);
    }
    this.noGates(this.gates(), 'the end of the file');
    return result;
  }

  /** Gates are not allowed here (a package, a top-level `use`, before a closing `}`). */
  private noGates(gates: AstGates | undefined, what: string): void {
    if (gates) throw witError(gates.pos, `a feature gate cannot be placed on ${what}; gate the interface, world or item it is about`);
  }

  /** Package names are lower-case: component validation rejects any other `ns:name`. */
  private lowerPackageWord(ident: Ident, what: string): void {
    if (/[A-Z]/.test(ident.name)) {
      throw witError(ident.pos, `${what} \`${ident.name}\` has upper-case letters; package names must be lower-case: write \`${ident.name.toLowerCase()}\``);
    }
  }

  private packageName(): AstPackageName {
    const pos = this.expect('package').pos;
    const ns = this.ident('a namespace');
    this.lowerPackageWord(ns, 'namespace');
    const namespace = ns.name;
    this.expect(':');
    const pkgName = this.ident('a package name');
    this.lowerPackageWord(pkgName, 'package name');
    const name = pkgName.name;
    if (this.is('/') || this.is(':')) throw witError(this.peek().pos, 'nested namespaces and packages are not supported');
    const version = this.eat('@') ? this.version() : undefined;
    return version === undefined ? { namespace, name, pos } : { namespace, name, version, pos };
  }

  private nestedPackage(name: AstPackageName): AstNestedPackage {
    const body = emptyBody();
    this.body = body;
    this.expect('{');
    for (;;) {
      const gates = this.gates();
      if (this.is('}')) this.noGates(gates, 'the end of a package');
      if (this.eat('}')) break;
      if (this.is('package')) throw witError(this.peek().pos, 'a package block cannot contain another package; move it to the top level');
      this.packageItem(body, gates);
    }
    return { name, body };
  }

  private packageItem(body: AstPackageBody, gates: AstGates | undefined): void {
    if (this.is('interface')) body.interfaces.push(withGates(this.interfaceItem(), gates));
    else if (this.is('world')) body.worlds.push(withGates(this.worldItem(), gates));
    else if (this.is('use')) {
      this.noGates(gates, 'a top-level `use`');
      body.uses.push(this.topLevelUse());
    } else this.fail('`interface`, `world`, `use` or `package`');
  }

  private topLevelUse(): { path: UsePath; as?: Ident } {
    this.expect('use');
    const path = this.usePath();
    const as = this.eat('as') ? this.ident() : undefined;
    this.expect(';');
    return as === undefined ? { path } : { path, as };
  }

  /** `name` or `ns:pkg/iface@version`. */
  private usePath(): UsePath {
    const first = this.ident('an interface name');
    if (!this.eat(':')) return { kind: 'local', name: first };
    return this.packagePath(first);
  }

  /** The rest of `ns:pkg/iface@version` after `ns:`. */
  private packagePath(namespace: Ident): UsePath {
    this.lowerPackageWord(namespace, 'namespace');
    const pkg = this.ident('a package name');
    this.lowerPackageWord(pkg, 'package name');
    if (this.is(':')) throw witError(this.peek().pos, 'nested namespaces and packages are not supported');
    this.expect('/');
    const name = this.ident('an interface or world name');
    if (this.is('/')) throw witError(this.peek().pos, 'nested namespaces and packages are not supported');
    const path: UsePath = { kind: 'package', namespace: namespace.name, package: pkg.name, name, pos: namespace.pos };
    if (this.eat('@')) path.version = this.version();
    return path;
  }

  // ---- gates ----

  /**
   * Reads `@since(...)`, `@unstable(...)`, `@deprecated(...)` and `@external-id("...")` before an
   * item. Each gate at most once per item, and not both `@since` and `@unstable` (wit-parser's
   * rules). Returns undefined when there is none.
   */
  private gates(): AstGates | undefined {
    let gates: AstGates | undefined;
    let deprecated: Ident | undefined;
    while (this.is('@')) {
      const at = this.bump();
      gates ??= { pos: at.pos };
      const name = this.ident('an attribute name');
      this.expect('(');
      const once = (kind: 'since' | 'unstable' | 'deprecated'): void => {
        if ((gates as AstGates)[kind]) throw witError(name.pos, `\`@${kind}\` is given twice on one item; keep one`);
        const other = kind === 'since' ? 'unstable' : kind === 'unstable' ? 'since' : undefined;
        if (other && (gates as AstGates)[other]) {
          throw witError(name.pos, `an item cannot be both \`@since\` and \`@unstable\`; keep \`@unstable\` until the feature is released, then replace it with \`@since\``);
        }
      };
      if (name.name === 'since' || name.name === 'deprecated') {
        once(name.name);
        this.gateField('version');
        const pos = this.peek().pos;
        const version = this.version();
        this.body.versionGate ??= name.pos;
        if (name.name === 'deprecated') {
          deprecated = name;
          gates.deprecated = { version, pos };
        } else {
          gates.since = { version, pos };
          this.body.sinces.push({ version, pos });
        }
      } else if (name.name === 'unstable') {
        once('unstable');
        this.gateField('feature');
        const feature = this.ident('a feature name');
        gates.unstable = { feature: feature.name, pos: feature.pos };
      } else if (name.name === 'external-id') {
        if (this.peek().kind !== 'string') this.fail('a string');
        this.bump();
      } else {
        throw witError(name.pos, `unknown attribute \`@${name.name}\`; expected \`@since\`, \`@unstable\` or \`@deprecated\``);
      }
      this.expect(')');
    }
    if (deprecated && !gates?.since && !gates?.unstable) {
      throw witError(deprecated.pos, '`@deprecated` needs a `@since` (or `@unstable`) gate on the same item; add `@since(version = ...)`');
    }
    return gates;
  }

  private gateField(field: string): void {
    const token = this.peek();
    if (token.kind !== 'id' || token.text !== field) this.fail(`\`${field}\``);
    this.bump();
    this.expect('=');
  }

  // ---- interfaces ----

  private interfaceItem(): AstInterface {
    this.expect('interface');
    const name = this.ident('an interface name');
    return { name, items: this.interfaceBody() };
  }

  private interfaceBody(): AstInterfaceItem[] {
    this.expect('{');
    const items: AstInterfaceItem[] = [];
    for (;;) {
      const gates = this.gates();
      if (this.is('}')) this.noGates(gates, 'the end of an interface');
      if (this.eat('}')) return items;
      this.keywordAsName();
      let item: AstInterfaceItem;
      if (this.is('use')) item = { kind: 'use', use: this.useItem() };
      else if (this.isTypeDef()) item = { kind: 'type', def: withGates(this.typeDef(), gates) };
      else if (this.peek().kind === 'id') item = { kind: 'func', func: this.namedFunc() };
      else this.fail('a type definition, `use` or a function `name: func(...)`');
      items.push(withGates(item, gates));
    }
  }

  /** Fails on `keyword: ...`, a keyword used as an item name without `%`. */
  private keywordAsName(): void {
    const token = this.peek();
    if (token.kind === 'keyword' && this.is(':', 1)) {
      throw witError(token.pos, `\`${token.text}\` is a keyword; write \`%${token.text}\` to use it as a name`);
    }
  }

  private isTypeDef(): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && TYPEDEF_KEYWORDS.has(token.text);
  }

  /** `use path.{a, b as c};` */
  private useItem(): AstUse {
    const pos = this.expect('use').pos;
    const path = this.usePath();
    this.expect('.');
    this.expect('{');
    const names = this.commaList('}', () => {
      const name = this.ident('a type name');
      return this.eat('as') ? { name, as: this.ident() } : { name };
    });
    this.expect(';');
    return { path, names, pos };
  }

  /** `name: func(...) -> T;` */
  private namedFunc(): AstFunc {
    const name = this.ident('a function name');
    this.expect(':');
    const func = this.funcType(name);
    this.expect(';');
    return func;
  }

  /** `async? func(params) (-> T)?` */
  private funcType(name: Ident): AstFunc {
    const isAsync = this.eat('async');
    this.expect('func');
    const params = this.params();
    const result = this.eat('->') ? this.type() : undefined;
    return result === undefined ? { name, params, async: isAsync } : { name, params, result, async: isAsync };
  }

  private params(): AstField[] {
    this.expect('(');
    return this.commaList(')', () => this.field('a parameter name'));
  }

  private field(what: string): AstField {
    const name = this.ident(what);
    this.expect(':');
    return { name, type: this.type() };
  }

  // ---- type definitions ----

  private typeDef(): AstTypeDef {
    const keyword = this.bump().text;
    const name = this.ident('a type name');
    switch (keyword) {
      case 'type': {
        this.expect('=');
        const target = this.type();
        this.expect(';');
        return { kind: 'alias', name, target };
      }
      case 'record':
        this.expect('{');
        return { kind: 'record', name, fields: nonEmpty(this.commaList('}', () => this.field('a field name')), name, 'record', 'field') };
      case 'variant':
        this.expect('{');
        return { kind: 'variant', name, cases: nonEmpty(this.commaList('}', () => this.variantCase()), name, 'variant', 'case') };
      case 'enum':
        this.expect('{');
        return { kind: 'enum', name, cases: nonEmpty(this.commaList('}', () => this.ident('a case name')), name, 'enum', 'case') };
      case 'flags': {
        this.expect('{');
        const flags = nonEmpty(this.commaList('}', () => this.ident('a flag name')), name, 'flags', 'flag');
        if (flags.length > 32) throw witError(name.pos, `flags \`${name.name}\` has ${flags.length} flags, more than the 32 the component model allows; split it into several flags types`);
        return { kind: 'flags', name, flags };
      }
      default:
        return this.resource(name);
    }
  }

  private variantCase(): AstCase {
    const name = this.ident('a case name');
    if (!this.eat('(')) return { name };
    const type = this.type();
    this.expect(')');
    return { name, type };
  }

  private resource(name: Ident): AstResource {
    const resource: AstResource = { kind: 'resource', name, methods: [], statics: [] };
    if (this.eat(';')) return resource;
    this.expect('{');
    for (;;) {
      const gates = this.gates();
      if (this.is('}')) this.noGates(gates, 'the end of a resource');
      if (this.eat('}')) return resource;
      if (this.is('constructor')) this.constructorItem(resource, gates);
      else this.methodItem(resource, gates);
    }
  }

  private constructorItem(resource: AstResource, gates: AstGates | undefined): void {
    const token = this.expect('constructor');
    if (resource.ctor) throw witError(token.pos, `resource \`${resource.name.name}\` has more than one constructor`);
    const params = this.params();
    const name = { name: 'constructor', pos: token.pos };
    const ctor: AstFunc = this.eat('->') ? { name, params, result: this.type(), async: false } : { name, params, async: false };
    resource.ctor = withGates(ctor, gates);
    this.expect(';');
  }

  private methodItem(resource: AstResource, gates: AstGates | undefined): void {
    this.keywordAsName();
    const name = this.ident('`constructor` or a method name');
    this.expect(':');
    const isStatic = this.eat('static');
    const func = withGates(this.funcType(name), gates);
    this.expect(';');
    (isStatic ? resource.statics : resource.methods).push(func);
  }

  // ---- types ----

  type(): AstType {
    const token = this.peek();
    if (token.kind === 'id') {
      this.bump();
      const primitive = PRIMITIVES.get(token.text);
      return primitive ? { kind: 'primitive', name: primitive } : { kind: 'named', name: { name: token.text, pos: token.pos } };
    }
    if (token.kind !== 'keyword') this.fail('a type');
    const primitive = PRIMITIVES.get(token.text);
    if (primitive) {
      this.bump();
      return { kind: 'primitive', name: primitive };
    }
    return this.compoundType(token);
  }

  private compoundType(token: Token): AstType {
    switch (token.text) {
      case 'list':
        return this.listType();
      case 'option':
        return { kind: 'option', inner: this.angled(() => this.type()) };
      case 'result':
        return this.resultType();
      case 'tuple': {
        this.bump();
        this.expect('<');
        const items = this.commaList('>', () => this.type());
        if (items.length === 0) throw witError(token.pos, '`tuple<>` has no types; a tuple needs at least one (for no value, leave the type out)');
        return { kind: 'tuple', items };
      }
      case 'future':
      case 'stream':
        return this.optionalInner(token.text);
      case 'borrow':
      case 'own': {
        const name = this.angled(() => this.ident('a resource name'));
        return token.text === 'own' ? { kind: 'own', name } : { kind: 'borrow', name };
      }
      case 'map':
        throw witError(token.pos, '`map<K, V>` is not supported by this WIT model yet; use `list<tuple<K, V>>`');
      default:
        return this.fail('a type');
    }
  }

  /** `keyword<inner>`: bumps the keyword and parses `<inner>`. */
  private angled<T>(inner: () => T): T {
    this.bump();
    this.expect('<');
    const value = inner();
    this.expect('>');
    return value;
  }

  private listType(): AstType {
    this.bump();
    this.expect('<');
    const element = this.type();
    if (this.eat(',')) {
      const size = this.peek();
      if (size.kind !== 'int' || !/^[1-9]\d*$/.test(size.text) || Number(size.text) > MAX_LIST_LENGTH) {
        this.fail(`a list length between 1 and ${MAX_LIST_LENGTH} (the component model's limit)`);
      }
      this.bump();
      this.expect('>');
      return { kind: 'list', element, length: Number(size.text) };
    }
    this.expect('>');
    return { kind: 'list', element };
  }

  private resultType(): AstType {
    this.bump();
    if (!this.eat('<')) return { kind: 'result' };
    if (this.eat('_')) {
      this.expect(',');
      const err = this.type();
      this.expect('>');
      return { kind: 'result', err };
    }
    const ok = this.type();
    const err = this.eat(',') ? this.type() : undefined;
    this.expect('>');
    return err === undefined ? { kind: 'result', ok } : { kind: 'result', ok, err };
  }

  private optionalInner(kind: 'future' | 'stream'): AstType {
    this.bump();
    if (!this.eat('<')) return { kind };
    const inner = this.type();
    this.expect('>');
    return { kind, inner };
  }

  // ---- worlds ----

  private worldItem(): AstWorld {
    this.expect('world');
    const name = this.ident('a world name');
    this.expect('{');
    const items: AstWorldItem[] = [];
    for (;;) {
      const gates = this.gates();
      if (this.is('}')) this.noGates(gates, 'the end of a world');
      if (this.eat('}')) return { name, items };
      const item = this.worldDefinition();
      if (item.kind === 'type') withGates(item.def, gates);
      items.push(withGates(item, gates));
    }
  }

  private worldDefinition(): AstWorldItem {
    if (this.is('import') || this.is('export')) {
      const token = this.bump();
      return { kind: token.text as 'import' | 'export', extern: this.extern(), pos: token.pos };
    }
    if (this.is('use')) return { kind: 'use', use: this.useItem() };
    if (this.is('include')) return { kind: 'include', include: this.include() };
    if (this.isTypeDef()) return { kind: 'type', def: this.typeDef() };
    return this.fail('`import`, `export`, `include`, `use` or a type definition');
  }

  /**
   * After `import`/`export`: `path;`, `ns:pkg/iface@v;`, `name: func...;`, `name: interface {...}`
   * or `name: path;`. `a:b/...` is a package path; `a: b` names an extern `a` of interface `b`.
   */
  private extern(): AstExtern {
    const first = this.ident('an interface or import/export name');
    if (!this.eat(':')) {
      this.expect(';');
      return { kind: 'path', path: { kind: 'local', name: first } };
    }
    if (this.peek().kind === 'id' && this.is('/', 1)) {
      const path = this.packagePath(first);
      this.expect(';');
      return { kind: 'path', path };
    }
    if (this.is('func') || this.is('async')) {
      const func = this.funcType(first);
      this.expect(';');
      return { kind: 'func', name: first, func };
    }
    if (this.eat('interface')) return { kind: 'interface', name: first, iface: { name: first, items: this.interfaceBody() } };
    const path = this.usePath();
    this.expect(';');
    return { kind: 'named-path', name: first, path };
  }

  /** `include path;` or `include path with { a as b }` (a trailing `;` is accepted). */
  private include(): AstInclude {
    const pos = this.expect('include').pos;
    const path = this.usePath();
    if (!this.eat('with')) {
      this.expect(';');
      return { path, with: [], pos };
    }
    this.expect('{');
    const renames = this.commaList('}', () => {
      const from = this.ident();
      this.expect('as');
      return { from, to: this.ident() };
    });
    this.eat(';');
    return { path, with: renames, pos };
  }
}

function emptyBody(): AstPackageBody {
  return { uses: [], interfaces: [], worlds: [], sinces: [] };
}

/** The largest fixed list length component validation accepts. */
const MAX_LIST_LENGTH = 1073741824;

/** Sets an item's gates (when there are any) and returns it. */
function withGates<T extends { gates?: AstGates }>(item: T, gates: AstGates | undefined): T {
  if (gates) item.gates = gates;
  return item;
}

/** Records, variants, enums and flags need at least one member (component validation). */
function nonEmpty<T>(items: T[], name: Ident, kind: string, member: string): T[] {
  if (items.length === 0) throw witError(name.pos, `${kind} \`${name.name}\` is empty; it needs at least one ${member}`);
  return items;
}
