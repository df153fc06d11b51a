/**
 * interop-greeter: a Pocket plugin written in plain JavaScript and built with
 * @bytecodealliance/componentize-js directly, not with `pocket-wit build`.
 *
 * There is no SDK here and no manifest.yaml: the module exports the `pocket:plugin/node`
 * interface of the world `pocket:plugin/plugin@0.2.1` (wit/v0.2.1/node.wit) as an object named
 * `node`, whose functions are the four exports `metadata`, `prep`, `exec` and `post`.
 * componentize-js maps WIT names to camelCase and these WIT types to JS:
 * - `json` (a string of JSON text) is a JS string: parse and stringify it yourself;
 * - `option<T>` is the value or `undefined`;
 * - `result<T, node-error>`: return the ok value; to return the error, throw the `node-error`
 *   record itself, a plain object `{ code, message, details }`: the engine passes a thrown value
 *   through as the error payload. Anything else thrown (an `Error`, a string) does not match the
 *   record and traps, so `guard` below turns it into a `plugin-error` record;
 * - enums (`error-code`) are their case names as strings: 'invalid-input', 'not-found', ...
 *
 * The host learns everything about the plugin from `metadata()`: it calls it once in the sandbox
 * with nothing granted and caches the answer by the component's sha256. The permissions the
 * metadata asks for (here the environment variable GREETING) are what `pocket-wit install` asks
 * the user to consent to; a variable the user does not grant stays invisible.
 *
 * Reading the environment needs `wasi:cli/environment`, so the world this file is built with is
 * `pocket:plugin/plugin@0.2.1` plus that one WASI import (wit/world.wit): a plugin that asks for
 * no env, files or network can be built with `pocket:plugin/plugin` alone.
 *
 * Build: `sh examples/interop/js-greeter/build.sh` (componentize-js) or `build-qjs.sh`
 * (componentize-qjs), see docs/INTEROP.md#recipes.
 */
import { getEnvironment } from 'wasi:cli/environment@0.2.3';

const NODE_TYPE = 'greet';

function fail(code, message, details) {
  // The `node-error` record: thrown, it becomes the `err` case of the result.
  throw { code, message, details: details === undefined ? undefined : JSON.stringify(details) };
}

function parse(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    fail('invalid-input', `${what} is not JSON`);
  }
}

/** A phase whose unexpected exceptions (bugs, TypeErrors) become `plugin-error` results, not traps. */
function guard(phase) {
  return (...args) => {
    try {
      return phase(...args);
    } catch (thrown) {
      const isRecord = thrown && typeof thrown === 'object' && !(thrown instanceof Error) && 'code' in thrown && 'message' in thrown;
      if (isRecord) throw thrown;
      throw { code: 'plugin-error', message: String(thrown?.message ?? thrown), details: undefined };
    }
  };
}

function checkType(nodeType) {
  if (nodeType !== NODE_TYPE) fail('not-found', `no node type "${nodeType}" (this plugin has: ${NODE_TYPE})`);
}

export const node = {
  metadata() {
    return {
      name: 'interop-greeter',
      version: '1.0.0',
      description: 'Greets a name; plain JS built by componentize-js or componentize-qjs, not pocket-wit',
      author: 'Pocket Team',
      license: 'MIT',
      nodes: [
        {
          nodeType: NODE_TYPE,
          category: 'text',
          description: 'Greets input.name with config.greeting, else $GREETING if granted, else "Hello"',
          configSchema: JSON.stringify({ type: 'object', properties: { greeting: { type: 'string' } } }),
          inputSchema: JSON.stringify({ type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }),
          outputSchema: JSON.stringify({ type: 'object', properties: { message: { type: 'string' }, length: { type: 'integer' } }, required: ['message', 'length'] }),
          examples: [
            {
              name: 'ada',
              description: 'Greets Ada with the configured greeting',
              config: JSON.stringify({ greeting: 'Hi' }),
              input: JSON.stringify({ name: 'Ada' }),
              output: JSON.stringify({ message: 'Hi, Ada!', length: 8 }),
            },
          ],
        },
      ],
      // What the host should grant; `install` shows it and asks for consent.
      permissions: { memory: '64MB', timeout: '5s', env: ['GREETING'], filesystem: [], network: [] },
    };
  },

  prep: guard((nodeType, config, input) => {
    checkType(nodeType);
    const { name } = parse(input, 'input');
    if (typeof name !== 'string' || name.trim() === '') fail('invalid-input', 'input.name must be a non-empty string', { field: 'name' });
    return JSON.stringify({ name: name.trim() });
  }),

  exec: guard((nodeType, config, prepResult) => {
    checkType(nodeType);
    const { name } = parse(prepResult, 'prep result');
    const env = new Map(getEnvironment());
    const greeting = parse(config, 'config').greeting ?? (env.get('GREETING') || 'Hello'); // unset or empty: Hello
    const message = `${greeting}, ${name}!`;
    return JSON.stringify({ message, length: message.length });
  }),

  post: guard((nodeType, config, input, prepResult, execResult) => {
    checkType(nodeType);
    const { length } = parse(execResult, 'exec result');
    // The action picks the workflow's next node: "long" for long greetings, else "default".
    return { output: execResult, next: length > 20 ? 'long' : 'default' };
  }),
};
