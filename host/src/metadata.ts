/**
 * Plugin metadata as the host API presents it: the WIT record with its JSON text fields
 * parsed into values.
 */
import { PluginError } from './errors.js';
import type { PermissionsDecl } from './manifest.js';
import type { RawMetadata } from './runner.js';

export type JsonSchema = Record<string, unknown>;

export interface NodeExample {
  name: string;
  description: string;
  config?: unknown;
  input: unknown;
  output?: unknown;
}

export interface NodeDefinition {
  /** The node type used in workflows. */
  type: string;
  category: string;
  description: string;
  configSchema?: JsonSchema;
  inputSchema?: JsonSchema;
  outputSchema?: JsonSchema;
  examples: NodeExample[];
}

export interface PluginMetadata {
  name: string;
  version: string;
  description: string;
  author?: string;
  license?: string;
  nodes: NodeDefinition[];
  /** The permissions the plugin requests, as declared in its manifest. */
  permissions: PermissionsDecl;
  /** The world it was built against, e.g. `pocket:plugin@0.1.0`. */
  world: string;
}

function parseField(text: string | undefined, what: string, plugin: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new PluginError('invalid-plugin', `${plugin}: metadata field ${what} is not valid JSON`);
  }
}

/**
 * The fields of a WIT `node-definition` that must not be empty, with how to fill each in. The
 * guest SDKs refuse an empty one too, earlier (see docs/PLUGIN_SDK_API.md, "Required fields").
 */
const REQUIRED_NODE_FIELDS = [
  { key: 'nodeType', name: 'type', example: "type: 'my-node'" },
  { key: 'category', name: 'category', example: "category: 'text'" },
  { key: 'description', name: 'description', example: "description: 'What the node does'" },
] as const;

/**
 * Every node definition has a type, a category and a description (the WIT `node-definition`
 * requires them): an `invalid-plugin` error naming the plugin, the node and the missing field.
 */
export function checkNodeDefinitions(raw: Pick<RawMetadata, 'nodes'>, plugin: string): void {
  raw.nodes.forEach((n, i) => {
    for (const field of REQUIRED_NODE_FIELDS) {
      const value = (n as unknown as Record<string, unknown>)[field.key];
      if (typeof value === 'string' && value.trim() !== '') continue;
      const which = typeof n.nodeType === 'string' && n.nodeType.trim() !== '' ? `node "${n.nodeType}"` : `node #${i + 1}`;
      throw new PluginError(
        'invalid-plugin',
        `${plugin}: ${which}: ${field.name} is missing: add ${field.example} to the node definition (for Go and C plugins, to its entry under nodes: in manifest.yaml)`,
        { details: { node: typeof n.nodeType === 'string' && n.nodeType !== '' ? n.nodeType : null, index: i, field: field.name } },
      );
    }
  });
}

export function parseMetadata(raw: RawMetadata, world: string, source: string): PluginMetadata {
  const name = raw.name || source;
  const nodes: NodeDefinition[] = raw.nodes.map((n) => {
    const def: NodeDefinition = {
      type: n.nodeType,
      category: n.category,
      description: n.description,
      examples: n.examples.map((e) => {
        const ex: NodeExample = {
          name: e.name,
          description: e.description,
          input: parseField(e.input, `${n.nodeType}.examples.${e.name}.input`, name),
        };
        if (e.config !== undefined) ex.config = parseField(e.config, `${n.nodeType}.examples.${e.name}.config`, name);
        if (e.output !== undefined) ex.output = parseField(e.output, `${n.nodeType}.examples.${e.name}.output`, name);
        return ex;
      }),
    };
    if (n.configSchema !== undefined) def.configSchema = parseField(n.configSchema, `${n.nodeType}.configSchema`, name) as JsonSchema;
    if (n.inputSchema !== undefined) def.inputSchema = parseField(n.inputSchema, `${n.nodeType}.inputSchema`, name) as JsonSchema;
    if (n.outputSchema !== undefined) def.outputSchema = parseField(n.outputSchema, `${n.nodeType}.outputSchema`, name) as JsonSchema;
    return def;
  });
  const types = new Set<string>();
  for (const n of nodes) {
    if (types.has(n.type)) throw new PluginError('invalid-plugin', `${name} defines node type "${n.type}" twice`);
    types.add(n.type);
  }
  const permissions: PermissionsDecl = {};
  const p = raw.permissions;
  if (p.memory !== undefined) permissions.memory = p.memory;
  if (p.timeout !== undefined) permissions.timeout = p.timeout;
  if (p.env.length) permissions.env = [...p.env];
  if (p.filesystem.length) permissions.filesystem = [...p.filesystem];
  if (p.network.length) permissions.network = [...p.network];
  const meta: PluginMetadata = { name, version: raw.version, description: raw.description, nodes, permissions, world };
  if (raw.author !== undefined) meta.author = raw.author;
  if (raw.license !== undefined) meta.license = raw.license;
  return meta;
}
