/**
 * The docs stay true to the tree: every relative link and image in README.md and docs/**.md
 * points to a file that exists, every `#anchor` (in the same file or another) names a heading
 * of its target by GitHub's rules (`github-slugger`: lowercase, punctuation other than `-` and
 * `_` dropped, spaces to `-`, a repeated heading gets `-1`, `-2`…) or an `<a id>` in it, and every
 * `pocket-wit <command>` in a code block is a command of the CLI (`pocket-wit --help`).
 *
 * The checker is run first on a made-up docs folder with one broken thing of each kind, so that
 * a checker that finds nothing cannot pass.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';
import { ROOT, runCli, tempDir } from './helpers.js';

/** A markdown file as lines, with the lines inside fenced code blocks marked. */
interface Doc {
  lines: string[];
  inFence: boolean[];
}

function readDoc(file: string): Doc {
  const lines = readFileSync(file, 'utf8').split('\n');
  const inFence: boolean[] = [];
  let fence: string | undefined;
  for (const line of lines) {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && m) {
      fence = m[1]!;
      inFence.push(true);
    } else if (fence !== undefined) {
      inFence.push(true);
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]) fence = undefined;
    } else inFence.push(false);
  }
  return { lines, inFence };
}

/** A heading's text as GitHub renders it (code spans, links, images, emphasis and tags reduced to their text). */
function headingText(raw: string): string {
  // A code span's text is literal (`<plugin>` is text there, not a tag): kept, minus the angle
  // brackets the slug drops anyway, before tags are stripped from the rest.
  return raw
    .replace(/\s+#+\s*$/, '')
    .replace(/`([^`]*)`/g, (_, code: string) => code.replace(/[<>]/g, ''))
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|\W)[*_](.+?)[*_](?=\W|$)/g, '$1$2')
    .trim();
}

const anchorCache = new Map<string, Set<string>>();

/** The anchors a markdown file offers: its headings' slugs, and `<a id>`/`<a name>`. */
function anchorsOf(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (anchors) return anchors;
  anchors = new Set();
  const slugger = new GithubSlugger();
  const { lines, inFence } = readDoc(file);
  lines.forEach((line, i) => {
    if (inFence[i]) return;
    const h = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line);
    if (h) anchors!.add(slugger.slug(headingText(h[1]!)));
    for (const a of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors!.add(a[1]!);
  });
  anchorCache.set(file, anchors);
  return anchors;
}

/** The links and images of a line outside code: inline `[t](target)`, `![a](src)`, reference definitions, `<img src>` and `<a href>`. */
function linksOf(line: string): string[] {
  const text = line.replace(/(`+)[^`]*?\1/g, ''); // code spans hold examples, not links
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!.replace(/^<|>$/g, ''));
  const def = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/.exec(text);
  if (def) targets.push(def[1]!.replace(/^<|>$/g, ''));
  for (const m of text.matchAll(/<(?:img|a)\s[^>]*(?:src|href)="([^"]+)"/g)) targets.push(m[1]!);
  return targets;
}

/** Every broken relative link, image or anchor in `files`, as `file:line: problem`. */
function checkLinks(files: string[], root: string, seen = { links: 0, anchors: 0 }): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const { lines, inFence } = readDoc(file);
    lines.forEach((line, i) => {
      if (inFence[i]) return;
      for (const target of linksOf(line)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
        const where = `${relative(root, file)}:${i + 1}`;
        const hash = target.indexOf('#');
        const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
        const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
        const dest = pathPart === '' ? file : resolve(dirname(file), pathPart);
        seen.links++;
        if (!existsSync(dest)) {
          problems.push(`${where}: ${target}: no such file ${relative(root, dest)}`);
          continue;
        }
        if (anchor === undefined || !dest.endsWith('.md') || statSync(dest).isDirectory()) continue;
        seen.anchors++;
        if (!anchorsOf(dest).has(anchor)) problems.push(`${where}: ${target}: ${relative(root, dest)} has no heading with the anchor #${anchor}`);
      }
    });
  }
  return problems;
}

/** Every `pocket-wit <word>` in a code block whose word is not one of `commands`. */
function checkCommands(files: string[], root: string, commands: Set<string>, seen = { commands: 0 }): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const { lines, inFence } = readDoc(file);
    lines.forEach((line, i) => {
      if (!inFence[i]) return;
      // A command line: at its start (after a `$ ` prompt, `npx` or VAR=value), or after `&&`, `||`,
      // `;`, `|`, `$(`; not in a `#` comment or an output line that mentions pocket-wit in prose.
      const code = line.replace(/(^|\s)#.*$/, '');
      for (const m of code.matchAll(/(?:^\s*(?:\$\s+)?|&&\s*|\|\|\s*|;\s*|\|\s*|\$\(\s*)(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx\s+)?pocket-wit[ \t]+([a-z][a-z-]*)\b/g)) {
        seen.commands++;
        if (!commands.has(m[1]!)) problems.push(`${relative(root, file)}:${i + 1}: pocket-wit ${m[1]} is not a command: ${line.trim()}`);
      }
    });
  }
  return problems;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []));
}

const DOCS = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))];

test('the checker finds a missing file, a missing image, a missing anchor here and there, and a made-up command; not what is in code', () => {
  const dir = tempDir('pocket-docs-links-');
  mkdirSync(join(dir, 'docs'));
  writeFileSync(
    join(dir, 'docs/OTHER.md'),
    ['# Other', '', '## Set up', '', '## Set up', '', '## The `pocket:plugin@0.2.1` world!', '', '## Naming a plugin: `<plugin>` arguments', '', '<a id="old-name"></a>', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'README.md'),
    [
      '# Title',
      '',
      '## A heading, with punctuation (and `code`)',
      '',
      'Good: [other](docs/OTHER.md), [twice](docs/OTHER.md#set-up-1), [world](docs/OTHER.md#the-pocketplugin021-world),',
      '[kept](docs/OTHER.md#old-name), [here](#a-heading-with-punctuation-and-code), [web](https://example.com/x#y), [arg](docs/OTHER.md#naming-a-plugin-plugin-arguments).',
      'Bad: [gone](docs/GONE.md), ![pic](docs/images/none.svg), [no anchor](docs/OTHER.md#set-up-2), [nor here](#nope).',
      'In code it is no link: `[x](missing.md)`.',
      '',
      '```sh',
      '[y](also-missing.md)',
      'pocket-wit build . && pocket-wit frobnicate x',
      '```',
      '',
      '[ref]: docs/OTHER.md#other',
      '[bad-ref]: docs/OTHER.md#another',
      '',
    ].join('\n'),
  );
  const files = [join(dir, 'README.md'), join(dir, 'docs/OTHER.md')];
  assert.equal(checkLinks(files, dir), [
    'README.md:7: docs/GONE.md: no such file docs/GONE.md',
    'README.md:7: docs/images/none.svg: no such file docs/images/none.svg',
    'README.md:7: docs/OTHER.md#set-up-2: docs/OTHER.md has no heading with the anchor #set-up-2',
    'README.md:7: #nope: README.md has no heading with the anchor #nope',
    'README.md:16: docs/OTHER.md#another: docs/OTHER.md has no heading with the anchor #another',
  ]);
  assert.equal(checkCommands(files, dir, new Set(['build'])), ['README.md:12: pocket-wit frobnicate is not a command: pocket-wit build . && pocket-wit frobnicate x']);
});

test('every relative link and image in README.md and docs/**/*.md exists, and every #anchor names a heading of its target', () => {
  assert.ok(DOCS.length >= 14, DOCS.join(' '));
  const seen = { links: 0, anchors: 0 };
  const problems = checkLinks(DOCS, ROOT, seen);
  assert.equal(problems, [], `broken links:\n${problems.join('\n')}`);
  console.log(`  checked ${seen.links} relative links, ${seen.anchors} with an anchor`);
  assert.ok(seen.links > 200 && seen.anchors > 100, JSON.stringify(seen));
});

test('every `pocket-wit <command>` in a code block of the docs is a command of the CLI', async () => {
  const help = await runCli(['--help']);
  assert.is(help.code, 0, help.stderr);
  const section = help.stdout.split(/\nCommands:\n/)[1]!.split(/\n\n/)[0]!;
  const commands = new Set(section.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean));
  assert.ok(commands.has('flow') && commands.has('help'), [...commands].join(' '));
  const seen = { commands: 0 };
  const problems = checkCommands(DOCS, ROOT, commands, seen);
  console.log(`  checked ${seen.commands} pocket-wit command lines`);
  assert.ok(seen.commands > 80, JSON.stringify(seen));
  assert.equal(problems, [], `unknown commands:\n${problems.join('\n')}`);
});

test.run();
