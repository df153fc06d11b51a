/**
 * Generated WIT change pairs for the differential tests (test/wit-oracle-diff.test.ts): one base
 * package and mutations of it across every kind of WIT item. Each mutation gives two pairs (base →
 * mutated and mutated → base); each pair gets an old version and a bump, cycled so that every bump
 * kind (patch, minor, major) meets every series (0.0.x, 0.x, ≥ 1.0).
 *
 * `policy` names the documented difference with wit-component a pair exercises, when it does:
 * 'unused-interface' — the change is in an interface no world uses (check judges it by the
 * interface's side as if a world imported it; wit-component's semver_check does not see it).
 */
import semver from 'semver';

export type Policy = 'unused-interface';

export interface Mutation {
  name: string;
  /** Replacements applied to the base text, in order; each `from` must occur in it. */
  edits: [from: string, to: string][];
  policy?: Policy;
}

export interface GeneratedPair {
  name: string;
  old: string;
  new: string;
  oldVersion: string;
  newVersion: string;
  bump: 'patch' | 'minor' | 'major';
  policy?: Policy;
}

export const BASE = `interface types {
  record point { x: s32, y: s32 }
  enum color { red, green }
  flags perms { read, write }
  variant shape { circle(u32), square(point) }
  resource blob {
    constructor(size: u32);
    read: func(n: u32) -> list<u8>;
    make: static func() -> blob;
  }
  type id = string;
  record unused { a: u32 }
}

interface host {
  use types.{point, color, id, blob};
  log: func(msg: string);
  get: func(p: point, c: color) -> option<id>;
  open: func(b: borrow<blob>) -> result<tuple<u32, string>, string>;
}

interface node {
  use types.{shape, perms};
  record out { v: u32 }
  type extra = u32;
  resource session {
    constructor();
    step: func(n: u32) -> bool;
  }
  run: func(s: shape, p: perms) -> result<list<u8>, string>;
}

interface lib {
  f: func(x: u32) -> u32;
  record item { a: u32 }
}

interface extras {
  ping: func() -> bool;
}

world plugin {
  import host;
  export node;
  import now: func() -> u64;
  export version: func() -> string;
}
`;

export const MUTATIONS: Mutation[] = [
  // records
  { name: 'record-field-added-import', edits: [['record point { x: s32, y: s32 }', 'record point { x: s32, y: s32, z: s32 }']] },
  { name: 'record-field-retyped-import', edits: [['record point { x: s32, y: s32 }', 'record point { x: s64, y: s32 }']] },
  { name: 'record-field-renamed-import', edits: [['record point { x: s32, y: s32 }', 'record point { x: s32, z: s32 }']] },
  { name: 'record-fields-reordered', edits: [['record point { x: s32, y: s32 }', 'record point { y: s32, x: s32 }']] },
  { name: 'record-field-added-export-unreached', edits: [['record out { v: u32 }', 'record out { v: u32, w: u32 }']] },
  { name: 'record-added-export-unreached', edits: [['record out { v: u32 }', 'record out { v: u32 }\n  record more { m: u8 }']] },
  { name: 'record-added-import-unreached', edits: [['record unused { a: u32 }', 'record unused { a: u32 }\n  record spare { b: u8 }']] },
  { name: 'record-retyped-import-unreached', edits: [['record unused { a: u32 }', 'record unused { a: u64 }']] },
  { name: 'record-to-variant-import', edits: [['record point { x: s32, y: s32 }', 'variant point { x(s32), y(s32) }']] },
  { name: 'record-added-world-type', edits: [['import now: func() -> u64;', 'record stamp { t: u64 }\n  import now: func() -> stamp;']] },
  // variants, enums, flags
  { name: 'variant-case-added', edits: [['variant shape { circle(u32), square(point) }', 'variant shape { circle(u32), square(point), dot }']] },
  { name: 'variant-payload-changed', edits: [['variant shape { circle(u32), square(point) }', 'variant shape { circle(u64), square(point) }']] },
  { name: 'enum-case-added-import', edits: [['enum color { red, green }', 'enum color { red, green, blue }']] },
  { name: 'enum-cases-reordered', edits: [['enum color { red, green }', 'enum color { green, red }']] },
  { name: 'flags-flag-added', edits: [['flags perms { read, write }', 'flags perms { read, write, exec }']] },
  { name: 'flags-flag-renamed', edits: [['flags perms { read, write }', 'flags perms { read, modify }']] },
  // resources
  { name: 'resource-method-added-import', edits: [['make: static func() -> blob;', 'make: static func() -> blob;\n    size: func() -> u32;']] },
  { name: 'resource-method-changed-import', edits: [['read: func(n: u32) -> list<u8>;', 'read: func(n: u64) -> list<u8>;']] },
  { name: 'resource-constructor-removed-import', edits: [['constructor(size: u32);\n    read', 'read']] },
  { name: 'resource-static-added-import', edits: [['make: static func() -> blob;', 'make: static func() -> blob;\n    empty: static func() -> blob;']] },
  { name: 'resource-method-added-export', edits: [['step: func(n: u32) -> bool;', 'step: func(n: u32) -> bool;\n    reset: func();']] },
  { name: 'resource-constructor-changed-export', edits: [['resource session {\n    constructor();', 'resource session {\n    constructor(seed: u32);']] },
  { name: 'resource-added-export', edits: [['type extra = u32;', 'type extra = u32;\n  resource cursor;']] },
  { name: 'resource-added-import-with-method', edits: [['record unused { a: u32 }', 'record unused { a: u32 }\n  resource handle { id: func() -> u32; }']] },
  // aliases and containers
  { name: 'alias-retyped-reached', edits: [['type id = string;', 'type id = u32;']] },
  { name: 'alias-retyped-export-unreached', edits: [['type extra = u32;', 'type extra = u64;']] },
  { name: 'alias-chain-added-import', edits: [['log: func(msg: string);', 'type text = string;\n  type json = text;\n  log: func(msg: json);']] },
  { name: 'alias-added-export', edits: [['type extra = u32;', 'type extra = u32;\n  type count = u64;']] },
  { name: 'alias-inlined-same-structure', edits: [['get: func(p: point, c: color) -> option<id>;', 'get: func(p: point, c: color) -> option<string>;']] },
  { name: 'list-element-changed', edits: [['read: func(n: u32) -> list<u8>;', 'read: func(n: u32) -> list<u16>;']] },
  { name: 'option-to-result', edits: [['-> option<id>;', '-> result<id>;']] },
  { name: 'result-err-changed', edits: [['run: func(s: shape, p: perms) -> result<list<u8>, string>;', 'run: func(s: shape, p: perms) -> result<list<u8>, u32>;']] },
  { name: 'tuple-item-added', edits: [['result<tuple<u32, string>, string>', 'result<tuple<u32, string, bool>, string>']] },
  // functions
  { name: 'import-function-added', edits: [['log: func(msg: string);', 'log: func(msg: string);\n  flush: func();']] },
  { name: 'import-function-param-added', edits: [['log: func(msg: string);', 'log: func(msg: string, level: u8);']] },
  { name: 'import-function-param-renamed', edits: [['log: func(msg: string);', 'log: func(text: string);']] },
  { name: 'import-function-result-added', edits: [['log: func(msg: string);', 'log: func(msg: string) -> bool;']] },
  { name: 'export-function-added', edits: [['run: func(s: shape, p: perms) -> result<list<u8>, string>;', 'run: func(s: shape, p: perms) -> result<list<u8>, string>;\n  stop: func();']] },
  { name: 'export-function-params-reordered', edits: [['run: func(s: shape, p: perms)', 'run: func(p: perms, s: shape)']] },
  { name: 'function-renamed-import', edits: [['log: func(msg: string);', 'write-log: func(msg: string);']] },
  // interfaces
  { name: 'interface-import-added', edits: [['  import host;\n', '  import host;\n  import extras;\n']] },
  { name: 'interface-export-added', edits: [['  export node;\n', '  export node;\n  export extras;\n']] },
  { name: 'interface-unused-added', edits: [['interface extras {', 'interface more {\n  g: func();\n}\n\ninterface extras {']], policy: 'unused-interface' },
  // world-level items
  { name: 'world-import-function-added', edits: [['import now: func() -> u64;', 'import now: func() -> u64;\n  import rand: func() -> u32;']] },
  { name: 'world-export-function-added', edits: [['export version: func() -> string;', 'export version: func() -> string;\n  export describe: func() -> string;']] },
  { name: 'world-import-function-retyped', edits: [['import now: func() -> u64;', 'import now: func() -> u32;']] },
  { name: 'world-export-function-to-interface', edits: [['export version: func() -> string;', 'export version: interface { get: func() -> string; }']] },
  { name: 'world-type-alias-added', edits: [['import now: func() -> u64;', 'type stamp = u64;\n  import now: func() -> stamp;']] },
  { name: 'world-use-type', edits: [['export version: func() -> string;', 'use types.{id};\n  export version: func() -> id;']] },
  // use and renames
  { name: 'type-renamed-aliased-back', edits: [['record point { x: s32, y: s32 }', 'record pos { x: s32, y: s32 }'], ['variant shape { circle(u32), square(point) }', 'variant shape { circle(u32), square(pos) }'], ['use types.{point, color, id, blob};', 'use types.{pos as point, color, id, blob};']] },
  { name: 'use-other-same-structure', edits: [['record unused { a: u32 }', 'record unused { a: u32 }\n  record point2 { x: s32, y: s32 }'], ['use types.{point, color, id, blob};', 'use types.{point2 as point, color, id, blob};']] },
  { name: 'type-moved-to-new-interface', edits: [['interface host {\n  use types.{point, color, id, blob};', 'interface geo {\n  record coord { a: f64 }\n}\n\ninterface host {\n  use geo.{coord};\n  use types.{point, color, id, blob};\n  where: func() -> coord;']] },
  { name: 'type-defined-in-place-of-use', edits: [['use types.{point, color, id, blob};', 'use types.{color, id, blob};\n  record point { x: s32, y: s32 }']] },
  { name: 'export-uses-more', edits: [['use types.{shape, perms};', 'use types.{shape, perms, color};']] },
  // includes and worlds
  { name: 'include-same-world', edits: [['world plugin {\n  import host;', 'world base {\n  import host;\n}\n\nworld plugin {\n  include base;']] },
  { name: 'include-adds-import', edits: [['world plugin {\n  import host;', 'world base {\n  import extras;\n}\n\nworld plugin {\n  include base;\n  import host;']] },
  { name: 'world-added', edits: [['world plugin {', 'world tool {\n  import host;\n}\n\nworld plugin {']] },
  // the documented policy difference: interfaces no world uses
  { name: 'unused-interface-function-added', edits: [['f: func(x: u32) -> u32;', 'f: func(x: u32) -> u32;\n  g: func();']], policy: 'unused-interface' },
  { name: 'unused-interface-param-retyped', edits: [['f: func(x: u32) -> u32;', 'f: func(x: u64) -> u32;']], policy: 'unused-interface' },
  // `@unstable` items: left out unless their feature is enabled (by wit-parser and by ours)
  { name: 'unstable-import-function-added', edits: [['log: func(msg: string);', 'log: func(msg: string);\n  @unstable(feature = fancy)\n  trace: func(msg: string);']] },
  { name: 'unstable-export-type-added', edits: [['type extra = u32;', 'type extra = u32;\n  @unstable(feature = fancy)\n  record later { l: u8 }']] },
];

const SERIES = ['0.0.3', '0.4.2', '1.4.2'] as const;
const BUMPS = ['patch', 'minor', 'major'] as const;

export function mutate(base: string, m: Mutation): string {
  let text = base;
  for (const [from, to] of m.edits) {
    if (!text.includes(from)) throw new Error(`mutation ${m.name}: ${JSON.stringify(from)} is not in the text`);
    text = text.replace(from, to);
  }
  return text;
}

/** Every mutation both ways, each with a version and a bump from the cycle. */
export function generatePairs(): GeneratedPair[] {
  const out: GeneratedPair[] = [];
  let i = 0;
  for (const m of MUTATIONS) {
    const mutated = mutate(BASE, m);
    for (const [dir, a, b] of [
      ['fwd', BASE, mutated],
      ['back', mutated, BASE],
    ] as const) {
      const oldVersion = SERIES[i % SERIES.length]!;
      const bump = BUMPS[Math.floor(i / SERIES.length) % BUMPS.length]!;
      const newVersion = semver.inc(oldVersion, bump)!;
      out.push({
        name: `${m.name} (${dir}) ${oldVersion} → ${newVersion}`,
        old: `package t:p@${oldVersion};\n\n${a}`,
        new: `package t:p@${newVersion};\n\n${b}`,
        oldVersion,
        newVersion,
        bump,
        ...(m.policy ? { policy: m.policy } : {}),
      });
      i++;
    }
  }
  return out;
}
