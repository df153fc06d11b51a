/**
 * The canonical ABI's core view of WIT types (wasm32, non-async): flattening to core value types,
 * the flat signatures of imported and exported functions, and sizes, alignments and field
 * offsets in linear memory. Used to check hand-written guest glue (guest-sdk/c) against the WIT.
 */
import { packageKey, type Func, type TypeDef, type TypeRef, type WitResolve, type WitType } from './model.js';

export type CoreType = 'i32' | 'i64' | 'f32' | 'f64';

export interface CoreSignature {
  params: CoreType[];
  results: CoreType[];
}

const MAX_FLAT_PARAMS = 16;
const MAX_FLAT_RESULTS = 1;

/** A named type's definition, following `use` and aliases to the defining type. */
export function resolveNamed(resolve: WitResolve, ref: TypeRef): TypeDef {
  const pkg = resolve.packages.get(packageKey(ref.owner.package));
  const scope = ref.owner.interface !== undefined ? pkg?.interfaces.get(ref.owner.interface)?.types : pkg?.worlds.get(ref.owner.world ?? '')?.types;
  const def = scope?.get(ref.name);
  if (!def) throw new Error(`unknown type ${ref.name}`);
  return def.kind === 'use' ? resolveNamed(resolve, def.target) : def;
}

/** The structural form of a type: named types replaced by their definitions (aliases followed). */
type Shape =
  | { kind: 'prim'; name: string }
  | { kind: 'list' }
  | { kind: 'record'; fields: { name: string; type: WitType }[] }
  | { kind: 'variant'; cases: (WitType | undefined)[] }
  | { kind: 'flags'; count: number }
  | { kind: 'handle' };

function shape(resolve: WitResolve, t: WitType): Shape {
  switch (t.kind) {
    case 'primitive':
      return t.name === 'string' ? { kind: 'list' } : { kind: 'prim', name: t.name };
    case 'list':
      if (t.length !== undefined) return { kind: 'record', fields: Array.from({ length: t.length }, (_, i) => ({ name: String(i), type: t.element })) };
      return { kind: 'list' };
    case 'option':
      return { kind: 'variant', cases: [undefined, t.inner] };
    case 'result':
      return { kind: 'variant', cases: [t.ok, t.err] };
    case 'tuple':
      return { kind: 'record', fields: t.items.map((type, i) => ({ name: String(i), type })) };
    case 'future':
    case 'stream':
    case 'own':
    case 'borrow':
      return { kind: 'handle' };
    case 'named': {
      const def = resolveNamed(resolve, t.ref);
      switch (def.kind) {
        case 'record':
          return { kind: 'record', fields: def.fields };
        case 'variant':
          return { kind: 'variant', cases: def.cases.map((c) => c.type) };
        case 'enum':
          return { kind: 'variant', cases: def.cases.map(() => undefined) };
        case 'flags':
          return { kind: 'flags', count: def.flags.length };
        case 'resource':
          return { kind: 'handle' };
        case 'alias':
          return shape(resolve, def.target);
        case 'use':
          throw new Error('unreachable: use is followed by resolveNamed');
      }
    }
  }
}

function join(a: CoreType, b: CoreType): CoreType {
  if (a === b) return a;
  if ((a === 'i32' && b === 'f32') || (a === 'f32' && b === 'i32')) return 'i32';
  return 'i64';
}

/** The flat core types of a value of type `t`. */
export function flatten(resolve: WitResolve, t: WitType): CoreType[] {
  const s = shape(resolve, t);
  switch (s.kind) {
    case 'prim':
      if (s.name === 'u64' || s.name === 's64') return ['i64'];
      if (s.name === 'f32') return ['f32'];
      if (s.name === 'f64') return ['f64'];
      return ['i32'];
    case 'list':
      return ['i32', 'i32'];
    case 'handle':
      return ['i32'];
    case 'flags':
      return Array.from({ length: Math.ceil(s.count / 32) }, () => 'i32' as const);
    case 'record':
      return s.fields.flatMap((f) => flatten(resolve, f.type));
    case 'variant': {
      const payload: CoreType[] = [];
      for (const c of s.cases) {
        if (!c) continue;
        flatten(resolve, c).forEach((ft, i) => {
          payload[i] = i < payload.length ? join(payload[i]!, ft) : ft;
        });
      }
      return ['i32', ...payload];
    }
  }
}

/**
 * The core signature of a function. `lift` (an export the guest implements) returns a pointer
 * when results do not fit; `lower` (an import the guest calls) passes a return pointer instead.
 */
export function coreSignature(resolve: WitResolve, func: Func, context: 'lift' | 'lower'): CoreSignature {
  let params = func.params.flatMap((p) => flatten(resolve, p.type));
  let results = func.result ? flatten(resolve, func.result) : [];
  if (params.length > MAX_FLAT_PARAMS) params = ['i32'];
  if (results.length > MAX_FLAT_RESULTS) {
    if (context === 'lift') results = ['i32'];
    else {
      params = [...params, 'i32'];
      results = [];
    }
  }
  return { params, results };
}

function alignTo(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

function discriminantSize(cases: number): number {
  return cases <= 0x100 ? 1 : cases <= 0x10000 ? 2 : 4;
}

export interface Layout {
  size: number;
  align: number;
}

/** Size and alignment of a type in linear memory. */
export function layout(resolve: WitResolve, t: WitType): Layout {
  const s = shape(resolve, t);
  switch (s.kind) {
    case 'prim': {
      const size = { bool: 1, u8: 1, s8: 1, u16: 2, s16: 2, u64: 8, s64: 8, f64: 8 }[s.name] ?? 4;
      return { size, align: size };
    }
    case 'list':
      return { size: 8, align: 4 };
    case 'handle':
      return { size: 4, align: 4 };
    case 'flags': {
      const size = s.count <= 8 ? 1 : s.count <= 16 ? 2 : 4 * Math.ceil(s.count / 32);
      return { size, align: Math.min(size, 4) };
    }
    case 'record': {
      let size = 0;
      let align = 1;
      for (const f of s.fields) {
        const l = layout(resolve, f.type);
        size = alignTo(size, l.align) + l.size;
        align = Math.max(align, l.align);
      }
      return { size: alignTo(size, align), align };
    }
    case 'variant': {
      const disc = discriminantSize(s.cases.length);
      let caseAlign = 1;
      let caseSize = 0;
      for (const c of s.cases) {
        if (!c) continue;
        const l = layout(resolve, c);
        caseAlign = Math.max(caseAlign, l.align);
        caseSize = Math.max(caseSize, l.size);
      }
      const align = Math.max(disc, caseAlign);
      return { size: alignTo(alignTo(disc, caseAlign) + caseSize, align), align };
    }
  }
}

/** The byte offset of each field of a record type (or of a tuple's items, named 0, 1, ...). */
export function fieldOffsets(resolve: WitResolve, t: WitType): Map<string, number> {
  const s = shape(resolve, t);
  if (s.kind !== 'record') throw new Error('fieldOffsets needs a record or tuple type');
  const offsets = new Map<string, number>();
  let at = 0;
  for (const f of s.fields) {
    const l = layout(resolve, f.type);
    at = alignTo(at, l.align);
    offsets.set(f.name, at);
    at += l.size;
  }
  return offsets;
}

/** The payload offset of a variant-like type (option, result, variant): where case payloads start. */
export function payloadOffset(resolve: WitResolve, t: WitType): number {
  const s = shape(resolve, t);
  if (s.kind !== 'variant') throw new Error('payloadOffset needs a variant, option, result or enum');
  const caseAlign = Math.max(1, ...s.cases.filter((c): c is WitType => c !== undefined).map((c) => layout(resolve, c).align));
  return alignTo(discriminantSize(s.cases.length), caseAlign);
}
