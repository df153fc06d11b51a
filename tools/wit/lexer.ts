/**
 * The WIT tokenizer: turns WIT source text into tokens with 1-based line/column positions.
 *
 * It knows identifiers (kebab-case, or `%`-escaped to allow keywords such as `%type`), keywords,
 * punctuation, integers, semver versions (`0.2.0`, `0.2.0-rc-2023-11-10`, `1.0.0+build.5`) and
 * string literals (for `@external-id("...")`). Whitespace, `//` line comments and nested
 * `/* *\/` block comments (doc comments included) are skipped. Errors are
 * `PluginError('invalid-wit', '<file>:<line>:<col>: ...')`.
 */

import { PluginError } from '../../host/src/errors.js';

/** A position in a source file. */
export interface Pos {
  file: string;
  line: number;
  col: number;
}

export type TokenKind = 'id' | 'keyword' | 'int' | 'version' | 'string' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The identifier without its `%`, the keyword, the digits, the version, the decoded string, or the punctuation. */
  text: string;
  pos: Pos;
}

/** Words reserved by WIT; they can be used as names only when `%`-escaped. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'as', 'async', 'bool', 'borrow', 'char', 'constructor', 'enum', 'error-context', 'export', 'f32', 'f64',
  'flags', 'from', 'func', 'future', 'import', 'include', 'interface', 'list', 'map', 'option', 'own',
  'package', 'record', 'resource', 'result', 's16', 's32', 's64', 's8', 'static', 'stream', 'string',
  'tuple', 'type', 'u16', 'u32', 'u64', 'u8', 'use', 'variant', 'with', 'world',
]);

const PUNCT_TWO = ['->'];
const PUNCT_ONE = new Set(['=', ',', ':', ';', '(', ')', '{', '}', '<', '>', '*', '/', '.', '@', '_']);

/** Any letter starts a word (non-ASCII ones are lexed to be reported as invalid characters). */
const ID_RE = /\p{L}[\p{L}\p{N}_-]*/uy;
const VERSION_RE = /(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?/y;
const INT_RE = /\d+/y;

/** Builds the `invalid-wit` error for a position. */
export function witError(pos: Pos, message: string): PluginError {
  return new PluginError('invalid-wit', `${pos.file}:${pos.line}:${pos.col}: ${message}`);
}

/** Tokenizes a whole WIT text; the last token is always `eof`. A leading byte order mark is skipped. */
export function tokenize(text: string, file: string): Token[] {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  checkCharacters(body, file);
  return new Lexer(body, file).run();
}

/** Bidirectional overrides (CVE-2021-42574) and code points Unicode deprecates, as wit-parser rejects them. */
const BIDI = new Set([0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);
const DISCOURAGED = new Set([0x149, 0x673, 0xf77, 0xf79, 0x17a3, 0x17a4, 0x17b4, 0x17b5]);

/**
 * wit-parser checks the whole text, comments included, before it tokenizes: no control codes other
 * than tab, line feed and carriage return, no bidirectional overrides, no deprecated code points.
 */
function checkCharacters(text: string, file: string): void {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i) as number;
    if (code === 10) {
      line++;
      lineStart = i + 1;
      continue;
    }
    const bad =
      (code < 0x20 && code !== 9 && code !== 13) || (code >= 0x7f && code <= 0x9f)
        ? 'control character'
        : BIDI.has(code)
          ? 'bidirectional override character'
          : DISCOURAGED.has(code)
            ? 'character deprecated by Unicode'
            : undefined;
    if (bad) {
      const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
      throw witError({ file, line, col: i - lineStart + 1 }, `${bad} ${hex} is not allowed in WIT, not even in a comment; remove it`);
    }
    if (code > 0xffff) i++;
  }
}

/** A human-readable description of a token, for "expected X, found Y" messages. */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of file';
    case 'keyword':
      return `keyword \`${token.text}\``;
    case 'id':
      return `identifier \`${token.text}\``;
    case 'string':
      return 'a string';
    default:
      return `\`${token.text}\``;
  }
}

class Lexer {
  private offset = 0;
  private line = 1;
  private lineStart = 0;
  private readonly tokens: Token[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  run(): Token[] {
    for (;;) {
      this.skipTrivia();
      if (this.offset >= this.text.length) break;
      this.tokens.push(this.next());
    }
    this.tokens.push({ kind: 'eof', text: '', pos: this.pos() });
    return this.tokens;
  }

  private pos(offset: number = this.offset): Pos {
    return { file: this.file, line: this.line, col: offset - this.lineStart + 1 };
  }

  /** Advances over `count` characters, keeping the line counter right. */
  private advance(count: number): void {
    const end = Math.min(this.offset + count, this.text.length);
    for (; this.offset < end; this.offset++) {
      if (this.text.charCodeAt(this.offset) === 10) {
        this.line++;
        this.lineStart = this.offset + 1;
      }
    }
  }

  private skipTrivia(): void {
    for (;;) {
      const ch = this.text[this.offset];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') this.advance(1);
      else if (this.text.startsWith('//', this.offset)) this.skipLineComment();
      else if (this.text.startsWith('/*', this.offset)) this.skipBlockComment();
      else return;
    }
  }

  private skipLineComment(): void {
    const end = this.text.indexOf('\n', this.offset);
    this.advance(end < 0 ? this.text.length - this.offset : end - this.offset);
  }

  private skipBlockComment(): void {
    const start = this.pos();
    let depth = 0;
    while (this.offset < this.text.length) {
      if (this.text.startsWith('/*', this.offset)) {
        depth++;
        this.advance(2);
      } else if (this.text.startsWith('*/', this.offset)) {
        depth--;
        this.advance(2);
        if (depth === 0) return;
      } else {
        this.advance(1);
      }
    }
    throw witError(start, 'unterminated block comment; close it with `*/`');
  }

  private next(): Token {
    const pos = this.pos();
    const ch = this.text[this.offset] ?? '';
    if (ch === '%') return this.escapedId(pos);
    if (/\p{L}/u.test(ch)) return this.identifier(pos);
    if (/\d/.test(ch)) return this.number(pos);
    if (ch === '"') return this.string(pos);
    const two = this.text.slice(this.offset, this.offset + 2);
    if (PUNCT_TWO.includes(two)) return this.take('punct', two, pos);
    if (PUNCT_ONE.has(ch)) return this.take('punct', ch, pos);
    throw witError(pos, `unexpected character \`${ch}\``);
  }

  private take(kind: TokenKind, text: string, pos: Pos, length: number = text.length): Token {
    this.advance(length);
    return { kind, text, pos };
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.offset;
    return re.exec(this.text)?.[0];
  }

  private identifier(pos: Pos): Token {
    const word = this.match(ID_RE) ?? '';
    checkKebab(word, pos);
    return this.take(KEYWORDS.has(word) ? 'keyword' : 'id', word, pos);
  }

  private escapedId(pos: Pos): Token {
    this.advance(1);
    const word = this.match(ID_RE);
    if (word === undefined) throw witError(pos, 'expected an identifier after `%` (a word starting with a letter, like `%type`)');
    checkKebab(word, pos);
    return this.take('id', word, pos);
  }

  private number(pos: Pos): Token {
    const version = this.match(VERSION_RE);
    if (version !== undefined) return this.take('version', version, pos);
    return this.take('int', this.match(INT_RE) ?? '', pos);
  }

  private string(pos: Pos): Token {
    let value = '';
    let i = this.offset + 1;
    for (; i < this.text.length && this.text[i] !== '"'; i++) {
      const ch = this.text[i] ?? '';
      if (ch === '\n') break;
      if (ch === '\\') {
        i++;
        value += this.text[i] ?? '';
      } else {
        value += ch;
      }
    }
    if (this.text[i] !== '"') throw witError(pos, 'unterminated string; close it with `"`');
    return this.take('string', value, pos, i + 1 - this.offset);
  }
}

/**
 * Checks the component model's kebab-case rule: `-`-separated words of ASCII letters and digits,
 * each all lowercase or all uppercase, the first starting with a letter.
 */
function checkKebab(word: string, pos: Pos): void {
  const hint = 'use kebab-case like `my-name` (or `MY-NAME` per word)';
  for (const part of word.split('-')) {
    const invalid = [...part].find((c) => !/[0-9A-Za-z]/.test(c));
    if (invalid !== undefined) throw witError(pos, `invalid character \`${invalid}\` in identifier \`${word}\`; ${hint}`);
    if (part === '') throw witError(pos, `identifier \`${word}\` has an empty word; ${hint}`);
    if (/[a-z]/.test(part) && /[A-Z]/.test(part)) throw witError(pos, `identifier \`${word}\` mixes upper and lower case in one word; ${hint}`);
  }
}
