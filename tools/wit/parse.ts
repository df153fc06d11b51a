/**
 * The WIT parser: a recursive-descent parser from the tokens of `lexer.ts` to the syntax tree
 * defined here (`AstFile`). It covers the WIT grammar of the component model's WIT.md as used by
 * the `wasi:` packages: package declarations and nested `package ... { }` blocks, top-level
 * `use`, interfaces (types, resources, functions, `use`), worlds (imports, exports, `use`,
 * types, `include ... with { }`), feature gates (`@since`, `@unstable`, `@deprecated`,
 * `@external-id`, accepted and otherwise ignored) and every type form. It checks syntax only;
 * names are resolved by `resolve.ts`.
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
}

export interface AstResource {
  kind: 'resource';
  name: Ident;
  /** `constructor(...)`, named `ctor` because `constructor` clashes with Object.prototype. */
  ctor?: AstFunc;
  methods: AstFunc[];
  statics: AstFunc[];
}

export type AstTypeDef =
  | { kind: 'record'; name: Ident; fields: AstField[] }
  | { kind: 'variant'; name: Ident; cases: AstCase[] }
  | { kind: 'enum'; name: Ident; cases: Ident[] }
  | { kind: 'flags'; name: Ident; flags: Ident[] }
  | AstResource
  | { kind: 'alias'; name: Ident; target: AstType };

export interface AstUse {
  path: UsePath;
  names: { name: Ident; as?: Ident }[];
  pos: Pos;
}

export type AstInterfaceItem =
  | { kind: 'use'; use: AstUse }
  | { kind: 'type'; def: AstTypeDef }
  | { kind: 'func'; func: AstFunc };

export interface AstInterface {
  name: Ident;
  items: AstInterfaceItem[];
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

export type AstWorldItem =
  | { kind: 'import' | 'export'; extern: AstExtern; pos: Pos }
  | { kind: 'use'; use: AstUse }
  | { kind: 'type'; def: AstTypeDef }
  | { kind: 'include'; include: AstInclude };

export interface AstWorld {
  name: Ident;
  items: AstWorldItem[];
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
    this.gates();
    if (this.is('package')) {
      const name = this.packageName();
      if (this.eat(';')) result.package = name;
      else if (this.is('{')) result.nested.push(this.nestedPackage(name));
      else this.fail('`;` or `{`');
    }
    while (this.peek().kind !== 'eof') {
      this.body = result.body;
      this.gates();
      if (this.is('package')) result.nested.push(this.nestedPackage(this.packageName()));
      else this.packageItem(result.body);
    }
    return result;
  }

  private packageName(): AstPackageName {
    const pos = this.expect('package').pos;
    const namespace = this.ident('a namespace').name;
    this.expect(':');
    const name = this.ident('a package name').name;
    if (this.is('/') || this.is(':')) throw witError(this.peek().pos, 'nested namespaces and packages are not supported');
    const version = this.eat('@') ? this.version() : undefined;
    return version === undefined ? { namespace, name, pos } : { namespace, name, version, pos };
  }

  private nestedPackage(name: AstPackageName): AstNestedPackage {
    const body = emptyBody();
    this.body = body;
    this.expect('{');
    for (;;) {
      this.gates();
      if (this.eat('}')) break;
      this.packageItem(body);
    }
    return { name, body };
  }

  private packageItem(body: AstPackageBody): void {
    if (this.is('interface')) body.interfaces.push(this.interfaceItem());
    else if (this.is('world')) body.worlds.push(this.worldItem());
    else if (this.is('use')) body.uses.push(this.topLevelUse());
    else this.fail('`interface`, `world`, `use` or `package`');
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
    const pkg = this.ident('a package name');
    if (this.is(':')) throw witError(this.peek().pos, 'nested namespaces and packages are not supported');
    this.expect('/');
    const name = this.ident('an interface or world name');
    if (this.is('/')) throw witError(this.peek().pos, 'nested namespaces and packages are not supported');
    const path: UsePath = { kind: 'package', namespace: namespace.name, package: pkg.name, name, pos: namespace.pos };
    if (this.eat('@')) path.version = this.version();
    return path;
  }

  // ---- gates ----

  /** Skips `@since(...)`, `@unstable(...)`, `@deprecated(...)` and `@external-id("...")`. */
  private gates(): void {
    let deprecated: Ident | undefined;
    let stable = false;
    while (this.is('@')) {
      this.bump();
      const name = this.ident('an attribute name');
      this.expect('(');
      if (name.name === 'since' || name.name === 'deprecated') {
        this.gateField('version');
        this.version();
        this.body.versionGate ??= name.pos;
        if (name.name === 'deprecated') deprecated = name;
        else stable = true;
      } else if (name.name === 'unstable') {
        stable = true;
        this.gateField('feature');
        this.ident('a feature name');
      } else if (name.name === 'external-id') {
        if (this.peek().kind !== 'string') this.fail('a string');
        this.bump();
      } else {
        throw witError(name.pos, `unknown attribute \`@${name.name}\`; expected \`@since\`, \`@unstable\` or \`@deprecated\``);
      }
      this.expect(')');
    }
    if (deprecated && !stable) throw witError(deprecated.pos, '`@deprecated` needs a `@since` (or `@unstable`) gate on the same item; add `@since(version = ...)`');
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
      this.gates();
      if (this.eat('}')) return items;
      this.keywordAsName();
      if (this.is('use')) items.push({ kind: 'use', use: this.useItem() });
      else if (this.isTypeDef()) items.push({ kind: 'type', def: this.typeDef() });
      else if (this.peek().kind === 'id') items.push({ kind: 'func', func: this.namedFunc() });
      else this.fail('a type definition, `use` or a function `name: func(...)`');
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
        return { kind: 'record', name, fields: this.commaList('}', () => this.field('a field name')) };
      case 'variant':
        this.expect('{');
        return { kind: 'variant', name, cases: this.nonEmpty(this.commaList('}', () => this.variantCase()), 'variant') };
      case 'enum':
        this.expect('{');
        return { kind: 'enum', name, cases: this.nonEmpty(this.commaList('}', () => this.ident('a case name')), 'enum') };
      case 'flags':
        this.expect('{');
        return { kind: 'flags', name, flags: this.commaList('}', () => this.ident('a flag name')) };
      default:
        return this.resource(name);
    }
  }

  private nonEmpty<T>(items: T[], what: string): T[] {
    if (items.length === 0) throw witError(this.peek(-1).pos, `${what} needs at least one case`);
    return items;
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
      this.gates();
      if (this.eat('}')) return resource;
      if (this.is('constructor')) this.constructorItem(resource);
      else this.methodItem(resource);
    }
  }

  private constructorItem(resource: AstResource): void {
    const token = this.expect('constructor');
    if (resource.ctor) throw witError(token.pos, `resource \`${resource.name.name}\` has more than one constructor`);
    const params = this.params();
    const name = { name: 'constructor', pos: token.pos };
    resource.ctor = this.eat('->') ? { name, params, result: this.type(), async: false } : { name, params, async: false };
    this.expect(';');
  }

  private methodItem(resource: AstResource): void {
    this.keywordAsName();
    const name = this.ident('`constructor` or a method name');
    this.expect(':');
    const isStatic = this.eat('static');
    const func = this.funcType(name);
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
      case 'tuple':
        this.bump();
        this.expect('<');
        return { kind: 'tuple', items: this.commaList('>', () => this.type()) };
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
      if (size.kind !== 'int' || !/^[1-9]\d*$/.test(size.text) || Number(size.text) > 0xffffffff) {
        this.fail('a list length between 1 and 4294967295');
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
      this.gates();
      if (this.eat('}')) return { name, items };
      items.push(this.worldDefinition());
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
  return { uses: [], interfaces: [], worlds: [] };
}
