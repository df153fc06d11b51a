/**
 * Small invalid WIT texts, one rule each, for the parser corpus (test/wit-oracle-corpus.test.ts).
 * `at` is the `line:col` our parser must name: the offending token. Every text here is rejected by
 * wit-parser or by component validation (the oracle), and must be rejected by our parser.
 */

export interface InvalidCase {
  name: string;
  wit: string;
  /** `line:col` of the offending token. */
  at: string;
}

const l = (...lines: string[]): string => lines.join('\n');

export const INVALID_CASES: InvalidCase[] = [
  // ---- empty and oversized types (component validation) ----
  { name: 'empty flags', wit: l('package a:b;', 'interface i {', '  flags e {}', '}'), at: '3:9' },
  { name: 'empty record', wit: l('package a:b;', 'interface i {', '  record e {}', '}'), at: '3:10' },
  { name: 'empty tuple', wit: l('package a:b;', 'interface i {', '  type t = tuple<>;', '}'), at: '3:12' },
  { name: 'empty tuple in a parameter', wit: l('package a:b;', 'interface i {', '  f: func(x: tuple<>);', '}'), at: '3:14' },
  { name: 'empty enum', wit: l('package a:b;', 'interface i {', '  enum e {}', '}'), at: '3:8' },
  { name: 'empty variant', wit: l('package a:b;', 'interface i {', '  variant v {}', '}'), at: '3:11' },
  {
    name: 'more than 32 flags',
    wit: l('package a:b;', 'interface i {', `  flags f { ${Array.from({ length: 33 }, (_, k) => `x${k}`).join(', ')} }`, '}'),
    at: '3:9',
  },
  { name: 'fixed-size list of length 0', wit: l('package a:b;', 'interface i {', '  type t = list<u8, 0>;', '}'), at: '3:21' },
  // ---- identifiers ----
  { name: 'upper-case namespace', wit: l('package Acme:b;', 'interface i {}'), at: '1:9' },
  { name: 'upper-case package name', wit: l('package a:Bee;', 'interface i {}'), at: '1:11' },
  { name: 'upper-case package name in a use path', wit: l('package a:b;', 'interface i {', '  use X:y/j.{t};', '}', 'package X:y {', '  interface j { type t = u8; }', '}'), at: '3:7' },
  { name: 'underscore in a name', wit: l('package a:b;', 'interface i {', '  my_func: func();', '}'), at: '3:3' },
  { name: 'mixed case in one word', wit: l('package a:b;', 'interface i {', '  myFunc: func();', '}'), at: '3:3' },
  { name: 'empty word (double dash)', wit: l('package a:b;', 'interface i {', '  my--func: func();', '}'), at: '3:3' },
  { name: 'trailing dash', wit: l('package a:b;', 'interface i {', '  my-: func();', '}'), at: '3:3' },
  { name: 'leading digit', wit: l('package a:b;', 'interface i {', '  record r { 1st: u8 }', '}'), at: '3:14' },
  { name: 'escaped leading digit', wit: l('package a:b;', 'interface i {', '  record r { %1st: u8 }', '}'), at: '3:14' },
  { name: 'a lone %', wit: l('package a:b;', 'interface i {', '  % : func();', '}'), at: '3:3' },
  { name: 'non-ASCII identifier', wit: l('package a:b;', 'interface i {', '  café: func();', '}'), at: '3:3' },
  { name: 'keyword as a name', wit: l('package a:b;', 'interface i {', '  record: func();', '}'), at: '3:3' },
  { name: 'keyword as a field name', wit: l('package a:b;', 'interface i {', '  record r { type: u8 }', '}'), at: '3:14' },
  { name: 'upper-case package in a path with digits', wit: l('package a:b;', 'world w {', '  import a:B/i;', '}'), at: '3:12' },
  // ---- characters ----
  { name: 'control character in a comment', wit: l('package a:b;', '// bell \u0007 here', 'interface i {}'), at: '2:9' },
  { name: 'bidirectional override in a comment', wit: l('package a:b;', '/* \u202e */', 'interface i {}'), at: '2:4' },
  { name: 'unterminated block comment', wit: l('package a:b;', 'interface i {}', '/* open'), at: '3:1' },
  { name: 'unexpected character', wit: l('package a:b;', 'interface i {', '  f: func() $;', '}'), at: '3:13' },
  // ---- gates ----
  { name: '@since naming an unreleased version', wit: l('package a:b@1.0.0;', 'interface i {', '  @since(version = 2.0.0)', '  f: func();', '}'), at: '3:20' },
  { name: '@since naming a newer prerelease', wit: l('package a:b@1.0.0-rc.1;', '@since(version = 1.0.0)', 'interface i {}'), at: '2:18' },
  { name: '@since twice', wit: l('package a:b@1.0.0;', 'interface i {', '  @since(version = 1.0.0)', '  @since(version = 1.0.0)', '  f: func();', '}'), at: '4:4' },
  { name: '@unstable twice', wit: l('package a:b@1.0.0;', 'interface i {', '  @unstable(feature = x)', '  @unstable(feature = y)', '  f: func();', '}'), at: '4:4' },
  { name: '@deprecated twice', wit: l('package a:b@1.0.0;', 'interface i {', '  @since(version = 1.0.0)', '  @deprecated(version = 1.0.0)', '  @deprecated(version = 1.0.0)', '  f: func();', '}'), at: '5:4' },
  { name: '@since and @unstable on one item', wit: l('package a:b@1.0.0;', 'interface i {', '  @since(version = 1.0.0)', '  @unstable(feature = x)', '  f: func();', '}'), at: '4:4' },
  { name: '@deprecated without @since', wit: l('package a:b@1.0.0;', 'interface i {', '  @deprecated(version = 1.0.0)', '  f: func();', '}'), at: '3:4' },
  { name: 'gate in an unversioned package', wit: l('package a:b;', 'interface i {', '  @since(version = 0.1.0)', '  f: func();', '}'), at: '3:4' },
  { name: 'unknown attribute', wit: l('package a:b@1.0.0;', 'interface i {', '  @stable(version = 1.0.0)', '  f: func();', '}'), at: '3:4' },
  { name: '@since with a feature', wit: l('package a:b@1.0.0;', 'interface i {', '  @since(version = 1.0.0, feature = x)', '  f: func();', '}'), at: '3:25' },
  // ---- packages ----
  { name: 'a package using itself by name', wit: l('package a:b;', 'interface i {', '  use a:b/j.{t};', '}', 'interface j {', '  type t = u8;', '}'), at: '3:7' },
  {
    name: 'cyclic package dependencies',
    wit: l('package a:main;', 'package x:one {', '  interface i { use x:two/j.{t}; }', '  interface m { type s = u8; }', '}', 'package x:two {', '  interface j { type t = u8; }', '  interface k { use x:one/m.{s}; }', '}'),
    at: '3:21',
  },
  { name: 'package version not semver', wit: l('package a:b@1.0;', 'interface i {}'), at: '1:13' },
  { name: 'nested namespaces', wit: l('package a:b:c;', 'interface i {}'), at: '1:12' },
  { name: 'a package block inside a package block', wit: l('package a:b;', 'package c:d {', '  package e:f {}', '}'), at: '3:3' },
  { name: 'no package', wit: l('interface i {}'), at: '1:11' },
  // ---- names and duplicates ----
  { name: 'duplicate function', wit: l('package a:b;', 'interface i {', '  f: func();', '  f: func(x: u8);', '}'), at: '4:3' },
  { name: 'duplicate type and function', wit: l('package a:b;', 'interface i {', '  type f = u8;', '  f: func();', '}'), at: '4:3' },
  { name: 'duplicate field', wit: l('package a:b;', 'interface i {', '  record r {', '    a: u8,', '    a: u16,', '  }', '}'), at: '5:5' },
  { name: 'duplicate variant case', wit: l('package a:b;', 'interface i {', '  variant v { a, a(u8) }', '}'), at: '3:18' },
  { name: 'duplicate enum case', wit: l('package a:b;', 'interface i {', '  enum e { a, b, a }', '}'), at: '3:18' },
  { name: 'duplicate flag', wit: l('package a:b;', 'interface i {', '  flags f { a, a }', '}'), at: '3:16' },
  { name: 'duplicate parameter', wit: l('package a:b;', 'interface i {', '  f: func(a: u8, a: u8);', '}'), at: '3:18' },
  { name: 'duplicate interface', wit: l('package a:b;', 'interface i {}', 'interface i {}'), at: '3:11' },
  { name: 'interface and world of one name', wit: l('package a:b;', 'interface i {}', 'world i {}'), at: '3:7' },
  { name: 'duplicate resource method', wit: l('package a:b;', 'interface i {', '  resource r {', '    m: func();', '    m: static func();', '  }', '}'), at: '5:5' },
  { name: 'two constructors', wit: l('package a:b;', 'interface i {', '  resource r {', '    constructor();', '    constructor(x: u8);', '  }', '}'), at: '5:5' },
  { name: 'duplicate use name', wit: l('package a:b;', 'interface j { type t = u8; }', 'interface i {', '  use j.{t, t};', '}'), at: '4:13' },
  { name: 'duplicate world import', wit: l('package a:b;', 'interface i {}', 'world w {', '  import f: func();', '  import f: func(x: u8);', '}'), at: '5:10' },
  { name: 'duplicate world export', wit: l('package a:b;', 'interface i {}', 'world w {', '  export i;', '  export i;', '}'), at: '5:10' },
  // ---- types and references ----
  { name: 'unknown type', wit: l('package a:b;', 'interface i {', '  f: func(x: nope);', '}'), at: '3:14' },
  { name: 'recursive type', wit: l('package a:b;', 'interface i {', '  record r { next: option<r> }', '}'), at: '3:27' },
  { name: 'cyclic aliases', wit: l('package a:b;', 'interface i {', '  type a = b;', '  type b = a;', '}'), at: '4:12' },
  { name: 'borrow of a record', wit: l('package a:b;', 'interface i {', '  record r { x: u8 }', '  f: func(x: borrow<r>);', '}'), at: '4:21' },
  { name: 'borrow returned', wit: l('package a:b;', 'interface i {', '  resource r;', '  f: func() -> borrow<r>;', '}'), at: '4:3' },
  { name: 'function used as a type', wit: l('package a:b;', 'interface i {', '  g: func();', '  f: func(x: g);', '}'), at: '4:14' },
  { name: 'use of a function', wit: l('package a:b;', 'interface j { g: func(); }', 'interface i {', '  use j.{g};', '}'), at: '4:10' },
  { name: 'use of an unknown type', wit: l('package a:b;', 'interface j {}', 'interface i {', '  use j.{t};', '}'), at: '4:10' },
  { name: 'use cycle', wit: l('package a:b;', 'interface x {', '  use y.{t};', '  type s = u8;', '}', 'interface y {', '  use x.{s};', '  type t = u8;', '}'), at: '7:7' },
  { name: 'unknown package', wit: l('package a:b;', 'interface i {', '  use x:y/z@1.0.0.{t};', '}'), at: '3:7' },
  { name: 'self parameter in a method', wit: l('package a:b;', 'interface i {', '  resource r {', '    m: func(self: u8);', '  }', '}'), at: '4:13' },
  { name: 'constructor returning another type', wit: l('package a:b;', 'interface i {', '  resource r {', '    constructor() -> u8;', '  }', '}'), at: '4:5' },
  { name: 'too long a fixed-size list', wit: l('package a:b;', 'interface i {', '  type t = list<u8, 1073741825>;', '}'), at: '3:21' },
  { name: 'case-insensitive duplicate functions', wit: l('package a:b;', 'interface i {', '  f: func();', '  F: func();', '}'), at: '4:3' },
  { name: 'case-insensitive duplicate fields', wit: l('package a:b;', 'interface i {', '  record r { a: u8, A: u8 }', '}'), at: '3:21' },
  { name: 'case-insensitive duplicate enum cases', wit: l('package a:b;', 'interface i {', '  enum e { a, A }', '}'), at: '3:15' },
  { name: 'case-insensitive duplicate parameters', wit: l('package a:b;', 'interface i {', '  f: func(a: u8, A: u8);', '}'), at: '3:18' },
  { name: 'case-insensitive duplicate methods', wit: l('package a:b;', 'interface i {', '  resource r { m: func(); M: func(); }', '}'), at: '3:27' },
  { name: 'case-insensitive resource and function', wit: l('package a:b;', 'interface i {', '  resource r;', '  R: func();', '}'), at: '4:3' },
  { name: 'case-insensitive duplicate world imports', wit: l('package a:b;', 'world w {', '  import f: func();', '  import F: func();', '}'), at: '4:10' },
  { name: 'a gate on the package', wit: l('@since(version = 1.0.0)', 'package a:b@1.0.0;', 'interface i {}'), at: '1:1' },
  { name: 'a gate on a nested package', wit: l('package a:b@1.0.0;', '@since(version = 1.0.0) package c:d@1.0.0 { interface j {} }'), at: '2:1' },
  { name: 'a gate on a top-level use', wit: l('package a:b@1.0.0;', 'interface j {}', '@since(version = 1.0.0)', 'use j as k;'), at: '3:1' },
  { name: 'a gate before a closing brace', wit: l('package a:b@1.0.0;', 'interface i {', '  @since(version = 1.0.0)', '}'), at: '3:3' },
  { name: 'an unreleased @since on a resource method', wit: l('package a:b@1.0.0;', 'interface i {', '  resource r {', '    @since(version = 2.0.0)', '    m: func();', '  }', '}'), at: '4:22' },
  { name: 'an unreleased @since in a nested package', wit: l('package a:b;', 'package c:d@1.0.0 {', '  interface j {', '    @since(version = 1.0.1)', '    f: func();', '  }', '}'), at: '4:22' },
  { name: 'a deprecated code point', wit: l('package a:b;', '// \u0149', 'interface i {}'), at: '2:4' },
  { name: 'DEL in a comment', wit: l('package a:b;', '// \u007f', 'interface i {}'), at: '2:4' },
  { name: 'an unstable item with an unknown type', wit: l('package a:b@1.0.0;', 'interface i {', '  @unstable(feature = x)', '  f: func(a: nope);', '}'), at: '4:14' },
  { name: 'a kept function using an unstable type', wit: l('package a:b@1.0.0;', 'interface i {', '  @unstable(feature = x)', '  type t = u8;', '  f: func(a: t);', '}'), at: '5:14' },
  { name: 'a kept use of an unstable type', wit: l('package a:b@1.0.0;', 'interface j {', '  @unstable(feature = x)', '  type t = u8;', '}', 'interface i {', '  use j.{t};', '}'), at: '7:10' },
  { name: 'a kept use of an unstable interface', wit: l('package a:b@1.0.0;', '@unstable(feature = x)', 'interface j {', '  type t = u8;', '}', 'interface i {', '  use j.{t};', '}'), at: '7:7' },
  { name: 'a world exporting an unstable interface', wit: l('package a:b@1.0.0;', '@unstable(feature = x)', 'interface i {', '  f: func();', '}', 'world w {', '  export i;', '}'), at: '7:10' },
  { name: 'a world including an unstable world', wit: l('package a:b@1.0.0;', '@unstable(feature = x)', 'world v {}', 'world w {', '  include v;', '}'), at: '5:11' },
  // ---- worlds ----
  { name: 'unknown world in include', wit: l('package a:b;', 'world w {', '  include nope;', '}'), at: '3:11' },
  { name: 'include conflict', wit: l('package a:b;', 'world one { import f: func(); }', 'world two { import f: func(x: u8); }', 'world w {', '  include one;', '  include two;', '}'), at: '6:3' },
  { name: 'include cycle', wit: l('package a:b;', 'world one { include two; }', 'world two { include one; }'), at: '3:21' },
  { name: 'include of an interface', wit: l('package a:b;', 'interface i {}', 'world w {', '  include i;', '}'), at: '4:11' },
  { name: 'import of a world', wit: l('package a:b;', 'world v {}', 'world w {', '  import v;', '}'), at: '4:10' },
  { name: 'syntax error', wit: l('package a:b;', 'interface i {', '  f: func()', '}'), at: '4:1' },
];
