/**
 * Rust guest glue for a world, generated from the structural WIT model (`model.ts`): the types
 * of every interface the world uses, safe wrappers around the imported functions with their
 * canonical-ABI core signatures, and, for each exported interface, a `Guest` trait plus the
 * lifting/lowering functions that a macro turns into `#[export_name = "…#func"]` exports with
 * their `cabi_post_…` functions, and `cabi_realloc`.
 *
 * Sizes, alignments, field offsets and flat (core) types are computed from the model following
 * the canonical ABI (`CanonicalABI.md`): no offset is written by hand. Supported: bool, integers,
 * floats, char, string, list, option, result, tuple, record, variant, enum, and type aliases.
 * Not supported (the generator says so): flags, resources, futures/streams, fixed-size lists,
 * list parameters of imported functions, more than 16 flat parameters of an import.
 *
 * The output targets Rust 1.63 (Debian bookworm's rustc) and `wasm32-unknown-unknown`.
 */
import { PluginError } from '../../host/src/errors.js';
import { packageKey, type Func, type Interface, type PackageId, type TypeDef, type TypeRef, type WitResolve, type WitType } from './model.js';

type Core = 'i32' | 'i64' | 'f32' | 'f64';

export interface GenRustOptions {
  /** The world to generate for. */
  world: string;
  /** Rust path of the module the output is compiled as, used by the export macro. Default `$crate::bindings`. */
  modulePath?: string;
  /** Name of the exported macro that defines the core exports. Default `__pocket_export_world`. */
  macroName?: string;
  /** A header comment (without `//`), one line per entry. */
  header?: string[];
}

const MAX_FLAT_PARAMS = 16;
const MAX_FLAT_RESULTS = 1;

const RUST_KEYWORDS = new Set(
  'as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while abstract become box do final macro override priv typeof unsized virtual yield try'.split(' '),
);

function snake(name: string): string {
  const s = name.replace(/^%/, '').replace(/-/g, '_');
  return RUST_KEYWORDS.has(s) ? `${s}_` : s;
}

function pascal(name: string): string {
  return name
    .replace(/^%/, '')
    .split('-')
    .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p))
    .join('');
}

function alignTo(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function unsupported(what: string): never {
  throw new PluginError('invalid-wit', `gen-rust: ${what} is not supported by the Rust generator`);
}

/** A type with aliases and `use` followed: what the ABI sees. */
type Resolved =
  | { kind: 'primitive'; name: string }
  | { kind: 'list'; element: WitType }
  | { kind: 'option'; inner: WitType }
  | { kind: 'result'; ok?: WitType; err?: WitType }
  | { kind: 'tuple'; items: WitType[] }
  | { kind: 'record'; ref: TypeRef; fields: { name: string; type: WitType }[] }
  | { kind: 'variant'; ref: TypeRef; cases: { name: string; type?: WitType }[] }
  | { kind: 'enum'; ref: TypeRef; cases: string[] };

interface VariantShape {
  discSize: number;
  cases: (WitType | undefined)[];
}

export class RustGenerator {
  private readonly world;
  private readonly modulePath: string;
  private counter = 0;
  /** Interface module names by `pkg/iface` key. */
  private readonly modules = new Map<string, string>();

  constructor(
    private readonly resolve: WitResolve,
    private readonly options: GenRustOptions,
  ) {
    const world = resolve.main.worlds.get(options.world);
    if (!world) throw new PluginError('invalid-wit', `gen-rust: no world "${options.world}" in ${packageKey(resolve.main.id)}`);
    this.world = world;
    this.modulePath = options.modulePath ?? '$crate::bindings';
  }

  // ---- the model ------------------------------------------------------------------------------

  private iface(pkg: PackageId, name: string): Interface {
    const p = this.resolve.packages.get(packageKey(pkg));
    const i = p?.interfaces.get(name);
    if (!i) throw new PluginError('invalid-wit', `gen-rust: interface ${packageKey(pkg)}/${name} not found`);
    return i;
  }

  private def(ref: TypeRef): TypeDef {
    if (!ref.owner.interface) unsupported(`the world-level type "${ref.name}"`);
    const d = this.iface(ref.owner.package, ref.owner.interface).types.get(ref.name);
    if (!d) throw new PluginError('invalid-wit', `gen-rust: type ${ref.name} not found`);
    return d;
  }

  /** Follow `use` to the defining type reference. */
  private defining(ref: TypeRef): TypeRef {
    const d = this.def(ref);
    return d.kind === 'use' ? this.defining(d.target) : ref;
  }

  private res(t: WitType): Resolved {
    switch (t.kind) {
      case 'primitive':
        if (t.name === 'error-context') unsupported('error-context');
        return { kind: 'primitive', name: t.name };
      case 'list':
        if (t.length !== undefined) unsupported('a fixed-size list');
        return { kind: 'list', element: t.element };
      case 'option':
        return t;
      case 'result':
        return t;
      case 'tuple':
        return t;
      case 'named': {
        const ref = this.defining(t.ref);
        const d = this.def(ref);
        switch (d.kind) {
          case 'alias':
            return this.res(d.target);
          case 'record':
            return { kind: 'record', ref, fields: d.fields };
          case 'variant':
            return { kind: 'variant', ref, cases: d.cases };
          case 'enum':
            return { kind: 'enum', ref, cases: d.cases };
          default:
            return unsupported(`${d.kind} type "${ref.name}"`);
        }
      }
      default:
        return unsupported(`${t.kind} type`);
    }
  }

  private variantShape(r: Resolved): VariantShape | undefined {
    if (r.kind === 'option') return { discSize: 1, cases: [undefined, r.inner] };
    if (r.kind === 'result') return { discSize: 1, cases: [r.ok, r.err] };
    if (r.kind === 'variant') return { discSize: discSize(r.cases.length), cases: r.cases.map((c) => c.type) };
    return undefined;
  }

  // ---- canonical ABI: size, alignment, flattening ---------------------------------------------

  size(t: WitType): number {
    return this.sizeAlign(t)[0];
  }

  align(t: WitType): number {
    return this.sizeAlign(t)[1];
  }

  sizeAlign(t: WitType): [number, number] {
    const r = this.res(t);
    switch (r.kind) {
      case 'primitive':
        return primSizeAlign(r.name);
      case 'list':
        return [8, 4];
      case 'enum': {
        const s = discSize(r.cases.length);
        return [s, s];
      }
      case 'record':
      case 'tuple': {
        const types = r.kind === 'record' ? r.fields.map((f) => f.type) : r.items;
        let size = 0;
        let align = 1;
        for (const ft of types) {
          const [s, a] = this.sizeAlign(ft);
          size = alignTo(size, a) + s;
          align = Math.max(align, a);
        }
        return [alignTo(size, align), align];
      }
      default: {
        const shape = this.variantShape(r)!;
        const caseAlign = Math.max(1, ...shape.cases.map((c) => (c ? this.align(c) : 1)));
        const align = Math.max(shape.discSize, caseAlign);
        const payload = alignTo(shape.discSize, caseAlign);
        const maxCase = Math.max(0, ...shape.cases.map((c) => (c ? this.size(c) : 0)));
        return [alignTo(payload + maxCase, align), align];
      }
    }
  }

  /** Offset of the payload of a variant-like type. */
  private payloadOffset(shape: VariantShape): number {
    const caseAlign = Math.max(1, ...shape.cases.map((c) => (c ? this.align(c) : 1)));
    return alignTo(shape.discSize, caseAlign);
  }

  private fieldOffsets(types: WitType[]): number[] {
    let at = 0;
    return types.map((ft) => {
      const [s, a] = this.sizeAlign(ft);
      at = alignTo(at, a);
      const off = at;
      at += s;
      return off;
    });
  }

  flat(t: WitType): Core[] {
    const r = this.res(t);
    switch (r.kind) {
      case 'primitive':
        return r.name === 'string' ? ['i32', 'i32'] : [primFlat(r.name)];
      case 'list':
        return ['i32', 'i32'];
      case 'enum':
        return ['i32'];
      case 'record':
        return r.fields.flatMap((f) => this.flat(f.type));
      case 'tuple':
        return r.items.flatMap((i) => this.flat(i));
      default: {
        const shape = this.variantShape(r)!;
        return ['i32', ...this.joinedPayload(shape)];
      }
    }
  }

  private joinedPayload(shape: VariantShape): Core[] {
    const joined: Core[] = [];
    for (const c of shape.cases) {
      if (!c) continue;
      this.flat(c).forEach((ft, i) => {
        const cur = joined[i];
        joined[i] = cur === undefined ? ft : join(cur, ft);
      });
    }
    return joined;
  }

  /** Whether a value of this type owns allocations (strings, lists) in linear memory. */
  private owns(t: WitType): boolean {
    const r = this.res(t);
    switch (r.kind) {
      case 'primitive':
        return r.name === 'string';
      case 'list':
        return true;
      case 'enum':
        return false;
      case 'record':
        return r.fields.some((f) => this.owns(f.type));
      case 'tuple':
        return r.items.some((i) => this.owns(i));
      default:
        return this.variantShape(r)!.cases.some((c) => c !== undefined && this.owns(c));
    }
  }

  // ---- Rust types -----------------------------------------------------------------------------

  private moduleOf(pkg: PackageId, iface: string): string {
    const key = `${packageKey(pkg)}/${iface}`;
    let m = this.modules.get(key);
    if (!m) {
      m = snake(iface);
      if ([...this.modules.values()].includes(m)) m = `${snake(pkg.namespace)}_${snake(pkg.name)}_${m}`;
      this.modules.set(key, m);
    }
    return m;
  }

  private namedPath(ref: TypeRef): string {
    return `super::${this.moduleOf(ref.owner.package, ref.owner.interface!)}::${pascal(ref.name)}`;
  }

  /** The owned Rust type of a WIT type. */
  rustType(t: WitType): string {
    if (t.kind === 'named') {
      const ref = this.defining(t.ref);
      const d = this.def(ref);
      if (d.kind === 'alias') return this.rustType(d.target);
      return this.namedPath(ref);
    }
    const r = this.res(t);
    switch (r.kind) {
      case 'primitive':
        return primRust(r.name);
      case 'list':
        return `Vec<${this.rustType(r.element)}>`;
      case 'option':
        return `Option<${this.rustType(r.inner)}>`;
      case 'result':
        return `Result<${r.ok ? this.rustType(r.ok) : '()'}, ${r.err ? this.rustType(r.err) : '()'}>`;
      case 'tuple':
        return `(${r.items.map((i) => this.rustType(i) + ',').join(' ')})`;
      default:
        return unsupported(r.kind);
    }
  }

  /** The Rust type of an import parameter: strings are borrowed. */
  private paramType(t: WitType): string {
    const r = this.res(t);
    if (r.kind === 'primitive' && r.name === 'string') return '&str';
    if (r.kind === 'option') return `Option<${this.paramType(r.inner)}>`;
    if (r.kind === 'list') unsupported('a list parameter of an imported function');
    if (r.kind === 'record' || r.kind === 'variant' || r.kind === 'result' || r.kind === 'tuple') {
      if (this.containsList(t)) unsupported('a list parameter of an imported function');
      return this.owns(t) ? `&${this.rustType(t)}` : this.rustType(t);
    }
    return this.rustType(t);
  }

  private containsList(t: WitType): boolean {
    const r = this.res(t);
    switch (r.kind) {
      case 'list':
        return true;
      case 'record':
        return r.fields.some((f) => this.containsList(f.type));
      case 'tuple':
        return r.items.some((i) => this.containsList(i));
      case 'primitive':
      case 'enum':
        return false;
      default:
        return this.variantShape(r)!.cases.some((c) => c !== undefined && this.containsList(c));
    }
  }

  private tmp(prefix = 'v'): string {
    return `${prefix}${this.counter++}`;
  }

  // ---- lowering to flat values (import parameters) --------------------------------------------

  /** Statements and the flat values of `expr` (a borrowed value for strings and owning types). */
  private lowerFlat(t: WitType, expr: string, borrowed: boolean): { code: string; vals: string[] } {
    const r = this.res(t);
    switch (r.kind) {
      case 'primitive': {
        if (r.name === 'string') {
          const s = this.tmp('s');
          return { code: `let ${s}: &str = ${borrowed ? expr : `&${expr}`};\n`, vals: [`${s}.as_ptr() as i32`, `${s}.len() as i32`] };
        }
        return { code: '', vals: [primToFlat(r.name, borrowed ? `*${expr}` : expr)] };
      }
      case 'enum':
        return { code: '', vals: [`(${borrowed ? `*${expr}` : expr}) as i32`] };
      case 'record': {
        let code = '';
        const vals: string[] = [];
        for (const f of r.fields) {
          const sub = this.lowerFlat(f.type, `&(${expr}).${snake(f.name)}`, true);
          code += sub.code;
          vals.push(...sub.vals);
        }
        return { code, vals };
      }
      case 'tuple': {
        let code = '';
        const vals: string[] = [];
        r.items.forEach((it, i) => {
          const sub = this.lowerFlat(it, `&(${expr}).${i}`, true);
          code += sub.code;
          vals.push(...sub.vals);
        });
        return { code, vals };
      }
      case 'list':
        return unsupported('a list parameter of an imported function');
      default: {
        const shape = this.variantShape(r)!;
        const joined = this.joinedPayload(shape);
        const outs = ['i32', ...joined].map(() => this.tmp('f'));
        const arms = this.variantArms(r, shape).map(({ pattern, payload }, idx) => {
          let body = '';
          let vals: string[] = [];
          if (payload) {
            const sub = this.lowerFlat(payload.type, payload.binding, true);
            body = sub.code;
            const ft = this.flat(payload.type);
            vals = sub.vals.map((v, i) => convertTo(ft[i]!, joined[i]!, v));
          }
          const all = [`${idx}i32`, ...joined.map((j, i) => vals[i] ?? zero(j))];
          return `${pattern} => {\n${indent(body)}    (${all.join(', ')})\n}`;
        });
        const code = `let (${outs.join(', ')}) = match ${borrowed ? expr : `&${expr}`} {\n${indent(arms.join(',\n'))}\n};\n`;
        return { code, vals: outs };
      }
    }
  }

  /** Match arms of a variant-like value: pattern and the binding of its payload. */
  private variantArms(r: Resolved, shape: VariantShape): { pattern: string; payload?: { type: WitType; binding: string } }[] {
    const b = (): string => this.tmp('e');
    if (r.kind === 'option') {
      const e = b();
      return [{ pattern: 'None' }, { pattern: `Some(${e})`, payload: { type: r.inner, binding: e } }];
    }
    if (r.kind === 'result') {
      const ok = b();
      const err = b();
      return [
        r.ok ? { pattern: `Ok(${ok})`, payload: { type: r.ok, binding: ok } } : { pattern: 'Ok(())' },
        r.err ? { pattern: `Err(${err})`, payload: { type: r.err, binding: err } } : { pattern: 'Err(())' },
      ];
    }
    if (r.kind === 'variant') {
      const path = this.namedPath(r.ref);
      return r.cases.map((c, i) => {
        if (!c.type) return { pattern: `${path}::${pascal(c.name)}` };
        const e = b();
        return { pattern: `${path}::${pascal(c.name)}(${e})`, payload: { type: shape.cases[i]!, binding: e } };
      });
    }
    return unsupported(r.kind);
  }

  // ---- lifting from flat values (export parameters, import results) ----------------------------

  /** Lift a value from flat values (consumed from `vals`): statements and the Rust expression. */
  private liftFlat(t: WitType, vals: string[]): { code: string; expr: string } {
    const r = this.res(t);
    switch (r.kind) {
      case 'primitive': {
        if (r.name === 'string') {
          const p = vals.shift()!;
          const l = vals.shift()!;
          return { code: '', expr: `_rt::lift_string(${p}, ${l})` };
        }
        return { code: '', expr: primFromFlat(r.name, vals.shift()!) };
      }
      case 'enum':
        return { code: '', expr: this.enumFrom(r, vals.shift()!) };
      case 'list': {
        const p = vals.shift()!;
        const l = vals.shift()!;
        const v = this.tmp();
        return { code: this.loadListCode(r.element, `(${p}) as usize`, `(${l}) as usize`, v), expr: v };
      }
      case 'record': {
        let code = '';
        const parts: string[] = [];
        for (const f of r.fields) {
          const sub = this.liftFlat(f.type, vals);
          const v = this.tmp();
          code += sub.code + `let ${v} = ${sub.expr};\n`;
          parts.push(`${snake(f.name)}: ${v}`);
        }
        return { code, expr: `${this.namedPath(r.ref)} { ${parts.join(', ')} }` };
      }
      case 'tuple': {
        let code = '';
        const parts: string[] = [];
        for (const it of r.items) {
          const sub = this.liftFlat(it, vals);
          const v = this.tmp();
          code += sub.code + `let ${v} = ${sub.expr};\n`;
          parts.push(v);
        }
        return { code, expr: `(${parts.map((p) => p + ',').join(' ')})` };
      }
      default: {
        const shape = this.variantShape(r)!;
        const joined = this.joinedPayload(shape);
        const disc = vals.shift()!;
        const payloadVals = joined.map(() => vals.shift()!);
        const v = this.tmp();
        const arms = shape.cases.map((c, i) => {
          if (!c) return `${i} => ${this.construct(r, i, undefined)},`;
          const ft = this.flat(c);
          const caseVals = ft.map((f, k) => convertFrom(joined[k]!, f, payloadVals[k]!));
          const sub = this.liftFlat(c, caseVals);
          return `${i} => {\n${indent(sub.code)}    ${this.construct(r, i, sub.expr)}\n}`;
        });
        arms.push('_ => _rt::invalid_discriminant(),');
        return { code: `let ${v} = match ${disc} {\n${indent(arms.join('\n'))}\n};\n`, expr: v };
      }
    }
  }

  private construct(r: Resolved, i: number, payload: string | undefined): string {
    if (r.kind === 'option') return i === 0 ? 'None' : `Some(${payload})`;
    if (r.kind === 'result') return `${i === 0 ? 'Ok' : 'Err'}(${payload ?? '()'})`;
    if (r.kind === 'variant') {
      const c = r.cases[i]!;
      return `${this.namedPath(r.ref)}::${pascal(c.name)}${payload !== undefined ? `(${payload})` : ''}`;
    }
    return unsupported(r.kind);
  }

  private enumFrom(r: Extract<Resolved, { kind: 'enum' }>, v: string): string {
    const path = this.namedPath(r.ref);
    const arms = r.cases.map((c, i) => `${i} => ${path}::${pascal(c)},`);
    return `match ${v} { ${arms.join(' ')} _ => _rt::invalid_discriminant() }`;
  }

  // ---- loading from memory ---------------------------------------------------------------------

  /** Load a value at `base + off` (base: a usize expression); takes ownership of strings and lists. */
  private load(t: WitType, base: string, off: number): { code: string; expr: string } {
    const r = this.res(t);
    const at = off === 0 ? base : `${base} + ${off}`;
    switch (r.kind) {
      case 'primitive': {
        if (r.name === 'string') return { code: '', expr: `_rt::lift_string(*((${at}) as *const i32), *((${at} + 4) as *const i32))` };
        return { code: '', expr: primFromMem(r.name, at) };
      }
      case 'enum':
        return { code: '', expr: this.enumFrom(r, `(${readDisc(discSize(r.cases.length), at)})`) };
      case 'list': {
        const v = this.tmp();
        return { code: this.loadListCode(r.element, `*((${at}) as *const i32) as usize`, `*((${at} + 4) as *const i32) as usize`, v), expr: v };
      }
      case 'record':
      case 'tuple': {
        const types = r.kind === 'record' ? r.fields.map((f) => f.type) : r.items;
        const offs = this.fieldOffsets(types);
        let code = '';
        const vars = types.map((ft, i) => {
          const sub = this.load(ft, base, off + offs[i]!);
          const v = this.tmp();
          code += sub.code + `let ${v} = ${sub.expr};\n`;
          return v;
        });
        if (r.kind === 'tuple') return { code, expr: `(${vars.map((v) => v + ',').join(' ')})` };
        return { code, expr: `${this.namedPath(r.ref)} { ${r.fields.map((f, i) => `${snake(f.name)}: ${vars[i]}`).join(', ')} }` };
      }
      default: {
        const shape = this.variantShape(r)!;
        const pay = off + this.payloadOffset(shape);
        const v = this.tmp();
        const arms = shape.cases.map((c, i) => {
          if (!c) return `${i} => ${this.construct(r, i, undefined)},`;
          const sub = this.load(c, base, pay);
          return `${i} => {\n${indent(sub.code)}    ${this.construct(r, i, sub.expr)}\n}`;
        });
        arms.push('_ => _rt::invalid_discriminant(),');
        return { code: `let ${v} = match ${readDisc(shape.discSize, at)} {\n${indent(arms.join('\n'))}\n};\n`, expr: v };
      }
    }
  }

  private loadListCode(element: WitType, ptr: string, len: string, out: string): string {
    const [size, align] = this.sizeAlign(element);
    const p = this.tmp('p');
    const n = this.tmp('n');
    const i = this.tmp('i');
    const sub = this.load(element, `(${p} + ${i} * ${size})`, 0);
    return (
      `let ${p} = ${ptr};\nlet ${n} = ${len};\nlet mut ${out} = Vec::with_capacity(${n});\n` +
      `for ${i} in 0..${n} {\n${indent(sub.code)}    ${out}.push(${sub.expr});\n}\n` +
      `_rt::dealloc(${p}, ${n} * ${size}, ${align});\n`
    );
  }

  // ---- storing to memory (export results) ------------------------------------------------------

  /** Store an owned value at `base + off`; strings and lists are handed over (freed by post-return). */
  private store(t: WitType, expr: string, base: string, off: number): string {
    const r = this.res(t);
    const at = off === 0 ? base : `${base} + ${off}`;
    switch (r.kind) {
      case 'primitive': {
        if (r.name === 'string') {
          const p = this.tmp('p');
          const l = this.tmp('l');
          return `let (${p}, ${l}) = _rt::lower_string(${expr});\n*((${at}) as *mut i32) = ${p};\n*((${at} + 4) as *mut i32) = ${l};\n`;
        }
        return primToMem(r.name, at, expr);
      }
      case 'enum':
        return `${writeDisc(discSize(r.cases.length), at, `(${expr}) as u32`)}\n`;
      case 'list': {
        const [size, align] = this.sizeAlign(r.element);
        const v = this.tmp();
        const n = this.tmp('n');
        const p = this.tmp('p');
        const i = this.tmp('i');
        const e = this.tmp('e');
        return (
          `let ${v} = ${expr};\nlet ${n} = ${v}.len();\nlet ${p} = _rt::alloc(${n} * ${size}, ${align});\n` +
          `for (${i}, ${e}) in ${v}.into_iter().enumerate() {\n${indent(this.store(r.element, e, `(${p} + ${i} * ${size})`, 0))}}\n` +
          `*((${at}) as *mut i32) = ${p} as i32;\n*((${at} + 4) as *mut i32) = ${n} as i32;\n`
        );
      }
      case 'record': {
        const offs = this.fieldOffsets(r.fields.map((f) => f.type));
        const vars = r.fields.map(() => this.tmp());
        let code = `let ${this.namedPath(r.ref)} { ${r.fields.map((f, i) => `${snake(f.name)}: ${vars[i]}`).join(', ')} } = ${expr};\n`;
        r.fields.forEach((f, i) => {
          code += this.store(f.type, vars[i]!, base, off + offs[i]!);
        });
        return code;
      }
      case 'tuple': {
        const offs = this.fieldOffsets(r.items);
        const vars = r.items.map(() => this.tmp());
        let code = `let (${vars.map((v) => v + ',').join(' ')}) = ${expr};\n`;
        r.items.forEach((it, i) => {
          code += this.store(it, vars[i]!, base, off + offs[i]!);
        });
        return code;
      }
      default: {
        const shape = this.variantShape(r)!;
        const pay = off + this.payloadOffset(shape);
        const arms = this.variantArms(r, shape).map(({ pattern, payload }, idx) => {
          let body = `${writeDisc(shape.discSize, at, `${idx}u32`)}\n`;
          if (payload) body += this.store(payload.type, payload.binding, base, pay);
          return `${pattern} => {\n${indent(body)}}`;
        });
        return `match ${expr} {\n${indent(arms.join('\n'))}\n}\n`;
      }
    }
  }

  /** Free what `store` handed over, reading it back at `base + off`. */
  private free(t: WitType, base: string, off: number): string {
    if (!this.owns(t)) return '';
    const r = this.res(t);
    const at = off === 0 ? base : `${base} + ${off}`;
    switch (r.kind) {
      case 'primitive':
        return `_rt::dealloc(*((${at}) as *const i32) as usize, *((${at} + 4) as *const i32) as usize, 1);\n`;
      case 'list': {
        const [size, align] = this.sizeAlign(r.element);
        const p = this.tmp('p');
        const n = this.tmp('n');
        const i = this.tmp('i');
        const inner = this.free(r.element, `(${p} + ${i} * ${size})`, 0);
        return (
          `let ${p} = *((${at}) as *const i32) as usize;\nlet ${n} = *((${at} + 4) as *const i32) as usize;\n` +
          (inner ? `for ${i} in 0..${n} {\n${indent(inner)}}\n` : '') +
          `_rt::dealloc(${p}, ${n} * ${size}, ${align});\n`
        );
      }
      case 'record':
      case 'tuple': {
        const types = r.kind === 'record' ? r.fields.map((f) => f.type) : r.items;
        const offs = this.fieldOffsets(types);
        return types.map((ft, i) => this.free(ft, base, off + offs[i]!)).join('');
      }
      case 'enum':
        return '';
      default: {
        const shape = this.variantShape(r)!;
        const pay = off + this.payloadOffset(shape);
        const arms = shape.cases
          .map((c, i) => (c && this.owns(c) ? `${i} => {\n${indent(this.free(c, base, pay))}}` : undefined))
          .filter((a): a is string => a !== undefined);
        arms.push('_ => {}');
        return `match ${readDisc(shape.discSize, at)} {\n${indent(arms.join('\n'))}\n}\n`;
      }
    }
  }

  // ---- output --------------------------------------------------------------------------------

  private typeDefs(iface: Interface, pkg: PackageId): string {
    let out = '';
    for (const [name, d] of iface.types) {
      const ref: TypeRef = { owner: { package: pkg, interface: iface.name }, name };
      switch (d.kind) {
        case 'use': {
          const target = this.defining(d.target);
          const path = this.namedPath(target);
          out += `pub use ${path}${pascal(target.name) === pascal(name) ? '' : ` as ${pascal(name)}`};\n`;
          break;
        }
        case 'alias':
          out += `pub type ${pascal(name)} = ${this.rustType(d.target)};\n`;
          break;
        case 'enum': {
          const repr = { 1: 'u8', 2: 'u16', 4: 'u32' }[discSize(d.cases.length)];
          out += `#[repr(${repr})]\n#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum ${pascal(name)} {\n${d.cases.map((c) => `    ${pascal(c)},\n`).join('')}}\n`;
          break;
        }
        case 'record':
          out += `#[derive(Clone, Debug, PartialEq)]\npub struct ${pascal(name)} {\n${d.fields.map((f) => `    pub ${snake(f.name)}: ${this.rustType(f.type)},\n`).join('')}}\n`;
          break;
        case 'variant':
          out += `#[derive(Clone, Debug, PartialEq)]\npub enum ${pascal(name)} {\n${d.cases.map((c) => `    ${pascal(c.name)}${c.type ? `(${this.rustType(c.type)})` : ''},\n`).join('')}}\n`;
          break;
        default:
          unsupported(`${d.kind} type "${name}"`);
      }
      void ref;
    }
    return out;
  }

  private importFunc(f: Func, wasmModule: string): string {
    const params = f.params.map((p) => `${snake(p.name)}: ${this.paramType(p.type)}`);
    const ret = f.result ? ` -> ${this.rustType(f.result)}` : '';
    const flatParams = f.params.flatMap((p) => this.flat(p.type));
    if (flatParams.length > MAX_FLAT_PARAMS) unsupported(`more than ${MAX_FLAT_PARAMS} flat parameters of the import ${f.name}`);
    const flatResults = f.result ? this.flat(f.result) : [];
    const retPtr = flatResults.length > MAX_FLAT_RESULTS;
    const coreParams = [...flatParams, ...(retPtr ? (['i32'] as Core[]) : [])];
    const coreRet = !retPtr && flatResults.length === 1 ? ` -> ${flatResults[0]}` : '';
    let body = '';
    const args: string[] = [];
    for (const p of f.params) {
      const r = this.res(p.type);
      const borrowed = this.paramType(p.type).startsWith('&') && !(r.kind === 'primitive' && r.name === 'string');
      const sub = this.lowerFlat(p.type, snake(p.name), borrowed);
      body += sub.code;
      args.push(...sub.vals);
    }
    body += `#[link(wasm_import_module = "${wasmModule}")]\nextern "C" {\n    #[link_name = "${f.name}"]\n    fn wit_import(${coreParams.map((c, i) => `p${i}: ${c}`).join(', ')})${coreRet};\n}\n`;
    if (retPtr) {
      const [size, align] = this.sizeAlign(f.result!);
      const area = this.tmp('ret');
      body += `#[repr(align(${align}))]\nstruct RetArea([u8; ${size}]);\nlet mut ${area} = RetArea([0u8; ${size}]);\nlet base = ${area}.0.as_mut_ptr() as usize;\n`;
      body += `wit_import(${[...args, 'base as i32'].join(', ')});\n`;
      const sub = this.load(f.result!, 'base', 0);
      body += sub.code + `${sub.expr}\n`;
    } else if (f.result) {
      body += `let r = wit_import(${args.join(', ')});\n`;
      const sub = this.liftFlat(f.result, ['r']);
      body += sub.code + `${sub.expr}\n`;
    } else {
      body += `wit_import(${args.join(', ')});\n`;
    }
    return `pub fn ${snake(f.name)}(${params.join(', ')})${ret} {\n    unsafe {\n${indent(body, 8)}    }\n}\n`;
  }

  private exportFuncs(f: Func, exportName: string): { glue: string; macro: string; retArea: [number, number] } {
    const flatParams = f.params.flatMap((p) => this.flat(p.type));
    const indirectParams = flatParams.length > MAX_FLAT_PARAMS;
    const coreParams: Core[] = indirectParams ? ['i32'] : flatParams;
    const flatResults = f.result ? this.flat(f.result) : [];
    const retPtr = flatResults.length > MAX_FLAT_RESULTS;
    const coreRet: Core | undefined = retPtr ? 'i32' : flatResults[0];
    const name = snake(f.name);
    const sig = coreParams.map((c, i) => `arg${i}: ${c}`).join(', ');
    const argNames = coreParams.map((_, i) => `arg${i}`).join(', ');
    let body = '';
    const callArgs: string[] = [];
    if (indirectParams) {
      const types = f.params.map((p) => p.type);
      const offs = this.fieldOffsets(types);
      const tuple: WitType = { kind: 'tuple', items: types };
      const [size, align] = this.sizeAlign(tuple);
      body += `let base = arg0 as usize;\n`;
      types.forEach((t, i) => {
        const sub = this.load(t, 'base', offs[i]!);
        const v = this.tmp();
        body += sub.code + `let ${v} = ${sub.expr};\n`;
        callArgs.push(v);
      });
      body += `_rt::dealloc(base, ${size}, ${align});\n`;
    } else {
      const vals = coreParams.map((_, i) => `arg${i}`);
      for (const p of f.params) {
        const sub = this.liftFlat(p.type, vals);
        const v = this.tmp();
        body += sub.code + `let ${v} = ${sub.expr};\n`;
        callArgs.push(v);
      }
    }
    body += `let result = T::${name}(${callArgs.join(', ')});\n`;
    let retArea: [number, number] = [0, 1];
    if (retPtr) {
      retArea = this.sizeAlign(f.result!);
      body += `let base = _rt::ret_area();\n` + this.store(f.result!, 'result', 'base', 0) + `base as i32\n`;
    } else if (f.result) {
      const r = this.res(f.result);
      body += `${r.kind === 'enum' ? '(result as u32) as i32' : r.kind === 'primitive' ? primToFlat(r.name, 'result') : unsupported('this result type')}\n`;
    }
    const glue =
      `#[doc(hidden)]\npub unsafe fn _export_${name}_cabi<T: Guest>(${sig})${coreRet ? ` -> ${coreRet}` : ''} {\n${indent(body)}}\n` +
      (retPtr ? `#[doc(hidden)]\npub unsafe fn _post_return_${name}<T: Guest>(arg0: i32) {\n    let base = arg0 as usize;\n${indent(this.free(f.result!, 'base', 0) || 'let _ = base;\n')}}\n` : '');
    return { glue, macro: '', retArea };
  }

  generate(): string {
    const world = this.world;
    const interfaces: { key: string; pkg: PackageId; name: string; dir: 'import' | 'export' }[] = [];
    const seen = new Set<string>();
    const add = (pkg: PackageId, name: string, dir: 'import' | 'export'): void => {
      const key = `${packageKey(pkg)}/${name}`;
      if (seen.has(key)) return;
      seen.add(key);
      // Interfaces whose types this one uses come first.
      for (const d of this.iface(pkg, name).types.values()) {
        if (d.kind === 'use' && d.target.owner.interface) add(d.target.owner.package, d.target.owner.interface, 'import');
      }
      interfaces.push({ key, pkg, name, dir });
      this.moduleOf(pkg, name);
    };
    for (const item of world.imports.values()) {
      if (item.kind === 'interface') add(item.ref.package, item.ref.interface, 'import');
      else unsupported(`a world-level ${item.kind} import`);
    }
    for (const item of world.exports.values()) {
      if (item.kind === 'interface') add(item.ref.package, item.ref.interface, 'export');
      else unsupported(`a world-level ${item.kind} export`);
    }

    const modules: string[] = [];
    const macroItems: string[] = [];
    let retSize = 0;
    let retAlign = 1;
    for (const { pkg, name, dir } of interfaces) {
      const iface = this.iface(pkg, name);
      const mod = this.moduleOf(pkg, name);
      const qualified = `${pkg.namespace}:${pkg.name}/${name}${pkg.version ? `@${pkg.version}` : ''}`;
      let body = `#[allow(unused_imports)]\nuse super::_rt;\n\n${this.typeDefs(iface, pkg)}`;
      const funcs = [...iface.functions.values()];
      if (dir === 'import') {
        for (const f of funcs) body += '\n' + this.importFunc(f, qualified);
      } else if (funcs.length > 0) {
        body += `\n/// What a guest implements to export \`${qualified}\`.\npub trait Guest {\n`;
        for (const f of funcs) {
          const params = f.params.map((p) => `${snake(p.name)}: ${this.rustType(p.type)}`).join(', ');
          body += `    fn ${snake(f.name)}(${params})${f.result ? ` -> ${this.rustType(f.result)}` : ''};\n`;
        }
        body += '}\n';
        for (const f of funcs) {
          const { glue, retArea } = this.exportFuncs(f, `${qualified}#${f.name}`);
          body += '\n' + glue;
          retSize = Math.max(retSize, retArea[0]);
          retAlign = Math.max(retAlign, retArea[1]);
          const flatParams = f.params.flatMap((p) => this.flat(p.type));
          const coreParams: Core[] = flatParams.length > MAX_FLAT_PARAMS ? ['i32'] : flatParams;
          const flatResults = f.result ? this.flat(f.result) : [];
          const retPtr = flatResults.length > MAX_FLAT_RESULTS;
          const coreRet = retPtr ? 'i32' : flatResults[0];
          const sig = coreParams.map((c, i) => `arg${i}: ${c}`).join(', ');
          const args = coreParams.map((_, i) => `arg${i}`).join(', ');
          const fn = `${mod}_${snake(f.name)}`;
          macroItems.push(
            `#[export_name = "${qualified}#${f.name}"]\nunsafe extern "C" fn __export_${fn}(${sig})${coreRet ? ` -> ${coreRet}` : ''} {\n    ${this.modulePath}::${mod}::_export_${snake(f.name)}_cabi::<$ty>(${args})\n}`,
          );
          if (retPtr) {
            macroItems.push(
              `#[export_name = "cabi_post_${qualified}#${f.name}"]\nunsafe extern "C" fn __post_return_${fn}(arg0: i32) {\n    ${this.modulePath}::${mod}::_post_return_${snake(f.name)}::<$ty>(arg0)\n}`,
            );
          }
        }
      }
      modules.push(`pub mod ${mod} {\n${indent(body)}}\n`);
    }

    const exportTraits = interfaces.filter((i) => i.dir === 'export' && this.iface(i.pkg, i.name).functions.size > 0);
    const macroName = this.options.macroName ?? '__pocket_export_world';
    const header = (this.options.header ?? []).map((l) => `// ${l}\n`).join('');
    const macroDoc =
      `/// Defines the core-wasm exports of world \`${packageKey(world.package)}/${world.name}\` (and \`cabi_realloc\`)\n` +
      `/// for \`$ty\`, which implements ${exportTraits.map((i) => `\`${this.moduleOf(i.pkg, i.name)}::Guest\``).join(', ')}.\n` +
      `/// Use it once, in the plugin's own crate (a cdylib).\n`;
    const macroBody = [
      ...macroItems,
      `#[no_mangle]\nunsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {\n    ${this.modulePath}::_rt::cabi_realloc(old_ptr, old_len, align, new_len)\n}`,
    ].join('\n');

    return `${header}#![allow(dead_code, clippy::all, unused_unsafe, unused_mut, unused_variables, unused_parens, non_snake_case)]

${modules.join('\n')}
${macroDoc}#[macro_export]
#[doc(hidden)]
macro_rules! ${macroName} {
    ($ty:ty) => {
        const _: () = {
${indent(macroBody, 12)}
        };
    };
}

/// Runtime helpers of the generated glue.
#[doc(hidden)]
pub mod _rt {
    use std::alloc::{self, Layout};

    #[repr(align(${retAlign}))]
    struct RetArea([u8; ${Math.max(retSize, 1)}]);
    static mut RET_AREA: RetArea = RetArea([0u8; ${Math.max(retSize, 1)}]);

    /// Where an export writes a result that does not fit in one core value (valid until its post-return).
    pub unsafe fn ret_area() -> usize {
        RET_AREA.0.as_mut_ptr() as usize
    }

    pub unsafe fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
        let ptr = if old_len == 0 {
            if new_len == 0 {
                return align as *mut u8;
            }
            alloc::alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            alloc::realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len)
        };
        if ptr.is_null() {
            std::process::abort();
        }
        ptr
    }

    pub unsafe fn alloc(size: usize, align: usize) -> usize {
        if size == 0 {
            return align;
        }
        let ptr = alloc::alloc(Layout::from_size_align_unchecked(size, align));
        if ptr.is_null() {
            std::process::abort();
        }
        ptr as usize
    }

    pub unsafe fn dealloc(ptr: usize, size: usize, align: usize) {
        if size != 0 {
            alloc::dealloc(ptr as *mut u8, Layout::from_size_align_unchecked(size, align));
        }
    }

    /// Take ownership of a UTF-8 string the caller allocated with \`cabi_realloc(0, 0, 1, len)\`.
    pub unsafe fn lift_string(ptr: i32, len: i32) -> String {
        if len == 0 {
            return String::new();
        }
        String::from_utf8_unchecked(Vec::from_raw_parts(ptr as *mut u8, len as usize, len as usize))
    }

    /// Hand a string over as (ptr, len); \`dealloc(ptr, len, 1)\` frees it.
    pub fn lower_string(s: String) -> (i32, i32) {
        let bytes = s.into_bytes().into_boxed_slice();
        let len = bytes.len();
        if len == 0 {
            return (1, 0);
        }
        (Box::into_raw(bytes) as *mut u8 as i32, len as i32)
    }

    /// A value the canonical ABI forbids (the host validates, so this does not happen): trap.
    pub fn invalid_discriminant() -> ! {
        std::process::abort()
    }
}
`;
  }
}

// ---- helpers -------------------------------------------------------------------------------------

function discSize(n: number): number {
  return n <= 256 ? 1 : n <= 65536 ? 2 : 4;
}

function primSizeAlign(name: string): [number, number] {
  switch (name) {
    case 'bool':
    case 'u8':
    case 's8':
      return [1, 1];
    case 'u16':
    case 's16':
      return [2, 2];
    case 'u32':
    case 's32':
    case 'f32':
    case 'char':
      return [4, 4];
    case 'u64':
    case 's64':
    case 'f64':
      return [8, 8];
    case 'string':
      return [8, 4];
    default:
      return unsupported(name);
  }
}

function primFlat(name: string): Core {
  switch (name) {
    case 'u64':
    case 's64':
      return 'i64';
    case 'f32':
      return 'f32';
    case 'f64':
      return 'f64';
    default:
      return 'i32';
  }
}

function primRust(name: string): string {
  const map: Record<string, string> = {
    bool: 'bool',
    u8: 'u8',
    u16: 'u16',
    u32: 'u32',
    u64: 'u64',
    s8: 'i8',
    s16: 'i16',
    s32: 'i32',
    s64: 'i64',
    f32: 'f32',
    f64: 'f64',
    char: 'char',
    string: 'String',
  };
  return map[name] ?? unsupported(name);
}

const MEM_TYPE: Record<string, string> = {
  bool: 'u8',
  u8: 'u8',
  s8: 'i8',
  u16: 'u16',
  s16: 'i16',
  u32: 'u32',
  s32: 'i32',
  char: 'u32',
  u64: 'u64',
  s64: 'i64',
  f32: 'f32',
  f64: 'f64',
};

function primToFlat(name: string, v: string): string {
  switch (name) {
    case 'bool':
      return `(${v}) as i32`;
    case 'u64':
    case 's64':
      return `(${v}) as i64`;
    case 'f32':
    case 'f64':
      return v;
    case 'char':
      return `(${v}) as u32 as i32`;
    default:
      return `(${v}) as i32`;
  }
}

function primFromFlat(name: string, v: string): string {
  switch (name) {
    case 'bool':
      return `(${v} != 0)`;
    case 'char':
      return `std::char::from_u32(${v} as u32).unwrap_or_else(|| _rt::invalid_discriminant())`;
    case 'f32':
    case 'f64':
      return v;
    default:
      return `(${v}) as ${primRust(name)}`;
  }
}

function primFromMem(name: string, at: string): string {
  const raw = `*((${at}) as *const ${MEM_TYPE[name]})`;
  if (name === 'bool') return `(${raw} != 0)`;
  if (name === 'char') return `std::char::from_u32(${raw}).unwrap_or_else(|| _rt::invalid_discriminant())`;
  return raw;
}

function primToMem(name: string, at: string, v: string): string {
  const t = MEM_TYPE[name]!;
  const value = name === 'bool' ? `(${v}) as u8` : name === 'char' ? `(${v}) as u32` : v;
  return `*((${at}) as *mut ${t}) = ${value};\n`;
}

function readDisc(size: number, at: string): string {
  return `(*((${at}) as *const ${size === 1 ? 'u8' : size === 2 ? 'u16' : 'u32'}) as u32)`;
}

function writeDisc(size: number, at: string, v: string): string {
  const t = size === 1 ? 'u8' : size === 2 ? 'u16' : 'u32';
  return `*((${at}) as *mut ${t}) = (${v}) as ${t};`;
}

function join(a: Core, b: Core): Core {
  if (a === b) return a;
  if ((a === 'i32' && b === 'f32') || (a === 'f32' && b === 'i32')) return 'i32';
  return 'i64';
}

function zero(c: Core): string {
  return c === 'f32' ? '0f32' : c === 'f64' ? '0f64' : `0${c}`;
}

/** A case's flat value as the joined type (lowering). */
function convertTo(from: Core, to: Core, v: string): string {
  if (from === to) return v;
  if (to === 'i32') return `(${v}).to_bits() as i32`; // f32 → i32
  if (from === 'i32') return `(${v}) as u32 as i64`;
  if (from === 'f32') return `(${v}).to_bits() as i64`;
  return `(${v}).to_bits() as i64`; // f64 → i64
}

/** A joined flat value back as the case's type (lifting). */
function convertFrom(joined: Core, to: Core, v: string): string {
  if (joined === to) return v;
  if (joined === 'i32') return `f32::from_bits(${v} as u32)`; // i32 → f32
  if (to === 'i32') return `(${v}) as i32`;
  if (to === 'f32') return `f32::from_bits(${v} as u32)`;
  return `f64::from_bits(${v} as u64)`;
}

function indent(text: string, n = 4): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l, i, all) => (l === '' && i === all.length - 1 ? '' : l === '' ? '' : pad + l))
    .join('\n');
}

/** Generate the Rust glue of `world` in a resolved WIT package. */
export function generateRust(resolve: WitResolve, options: GenRustOptions): string {
  return new RustGenerator(resolve, options).generate();
}
