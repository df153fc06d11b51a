/**
 * The `pocket-wit:plugin` custom section that `pocket-wit build` stamps into every component:
 * the manifest (identity and requested permissions), the world version and the build engine.
 * The host reads it before running any plugin code.
 */
import { appendCustomSection, readCustomSections } from './component-sections.js';
import { PluginError } from './errors.js';
import { validateManifest, type Manifest } from './manifest.js';
import type { NodeDefinition } from './metadata.js';

export const PLUGIN_SECTION = 'pocket-wit:plugin';

/** The largest `pocket-wit:plugin` section read (a manifest, node definitions and a WIT text). */
export const MAX_PLUGIN_SECTION_BYTES = 4 * 1024 * 1024;

export interface PluginSection {
  /** Format version of this section. */
  format: 1;
  /** The world the plugin was built against, e.g. `pocket:plugin@0.1.0`. */
  world: string;
  /** How it was built: `quickjs`, `starlingmonkey`, `rust`, `go`, `c`. */
  engine: string;
  /** The plugin's manifest. */
  manifest: Manifest;
  /**
   * The node definitions, as the plugin's `metadata` export returned them at build time, so that
   * tools can list and describe a plugin without running its code.
   */
  nodes?: NodeDefinition[];
  /**
   * The WIT the plugin was built against, as one source text (`package pocket:plugin@x.y.z;`
   * and its interfaces), so `pocket-wit check` can compare its types with a host's.
   */
  wit?: string;
}

export function writePluginSection(component: Uint8Array, section: PluginSection): Uint8Array {
  return appendCustomSection(component, PLUGIN_SECTION, new TextEncoder().encode(JSON.stringify(section)));
}

/** The section, or undefined when the component has none (built by other tools). */
export function readPluginSection(component: Uint8Array, source = 'component'): PluginSection | undefined {
  let sections: Map<string, Uint8Array>;
  try {
    sections = readCustomSections(component);
  } catch (cause) {
    throw new PluginError('invalid-plugin', `${source} is damaged: ${(cause as Error).message}; rebuild it with \`pocket-wit build\``);
  }
  const raw = sections.get(PLUGIN_SECTION);
  if (!raw) return undefined;
  if (raw.length > MAX_PLUGIN_SECTION_BYTES) {
    throw new PluginError(
      'invalid-plugin',
      `${source}: its ${PLUGIN_SECTION} section is ${raw.length} bytes, more than the ${MAX_PLUGIN_SECTION_BYTES} such a section may be (a manifest, node definitions and a WIT text); rebuild it with \`pocket-wit build\``,
    );
  }
  let parsed: Partial<PluginSection>;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw)) as Partial<PluginSection>;
  } catch {
    throw new PluginError('invalid-plugin', `${source}: the ${PLUGIN_SECTION} section is not valid JSON; rebuild it with \`pocket-wit build\``);
  }
  if (parsed.format !== 1 || typeof parsed.world !== 'string' || typeof parsed.engine !== 'string') {
    throw new PluginError('invalid-plugin', `${source}: unknown ${PLUGIN_SECTION} section format; rebuild it with this version of \`pocket-wit build\``);
  }
  const section: PluginSection = { format: 1, world: parsed.world, engine: parsed.engine, manifest: validateManifest(parsed.manifest, `${source} (embedded manifest)`, { unknownKeys: 'ignore-outside-permissions' }) };
  if (Array.isArray(parsed.nodes)) section.nodes = parsed.nodes;
  if (typeof parsed.wit === 'string') section.wit = parsed.wit;
  return section;
}
