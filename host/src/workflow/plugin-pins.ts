/**
 * A workflow's plugin pins (`plugins: { word-stats: "^1.2.0" }`): the range a plugin's version
 * must satisfy, and, for `flow --install-missing`, the npm package it comes from. The package is
 * the plugin's name unless the pin names one the way npm aliases do:
 * `word-stats: "npm:@acme/word-stats@^1.2.0"`.
 */

export interface PluginPin {
  /** The semver range (`*` for an `npm:` pin without one). */
  range: string;
  /** The npm package to install it from. */
  package: string;
}

/** `npm:@acme/x@^1` → `{ name: '@acme/x', range: '^1' }`; no `@range` → no range. */
export function splitNpmSpec(text: string): { name: string; range?: string } {
  const body = text.replace(/^npm:/, '');
  const at = body.indexOf('@', body.startsWith('@') ? 1 : 0);
  return at === -1 ? { name: body } : { name: body.slice(0, at), range: body.slice(at + 1) };
}

/** The pin of plugin `name` written as `value`. */
export function parsePluginPin(name: string, value: string): PluginPin {
  if (!value.startsWith('npm:')) return { range: value, package: name };
  const { name: pkg, range } = splitNpmSpec(value);
  return { range: range || '*', package: pkg };
}
