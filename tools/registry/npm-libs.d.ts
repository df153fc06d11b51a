/**
 * The parts of npm's own libraries that pocket-wit uses, typed here (they ship no types, and the
 * DefinitelyTyped packages describe versions years older). Options are npm's flat config: the
 * keys of `.npmrc` (`registry`, `@scope:registry`, `//host/:_authToken`, ...) plus `cache`.
 */
declare module 'pacote' {
  export interface PacoteOptions {
    registry?: string;
    cache?: string;
    integrity?: string;
    preferOnline?: boolean;
    fullMetadata?: boolean;
    [key: string]: unknown;
  }
  export interface PackageManifest {
    name: string;
    version: string;
    description?: string;
    keywords?: string[];
    dist: { tarball: string; integrity?: string; shasum?: string };
    _resolved: string;
    _integrity: string;
    _from: string;
    [key: string]: unknown;
  }
  export interface Packument {
    name: string;
    'dist-tags': Record<string, string>;
    versions: Record<string, PackageManifest>;
  }
  export function manifest(spec: string, opts?: PacoteOptions): Promise<PackageManifest>;
  export function packument(spec: string, opts?: PacoteOptions): Promise<Packument>;
  export const tarball: {
    (spec: string, opts?: PacoteOptions): Promise<Buffer & { integrity: string; resolved: string; from: string }>;
    file(spec: string, dest: string, opts?: PacoteOptions): Promise<{ integrity: string; resolved: string; from: string }>;
  };
}

declare module 'libnpmpublish' {
  export function publish(manifest: Record<string, unknown>, tarballData: Buffer, opts?: Record<string, unknown>): Promise<Response>;
}

declare module 'libnpmsearch' {
  export interface SearchResult {
    name: string;
    version?: string;
    description?: string;
    keywords?: string[];
    date?: string;
    publisher?: { username: string };
  }
  export default function search(query: string | string[], opts?: Record<string, unknown>): Promise<SearchResult[]>;
}

declare module 'ini' {
  export function parse(text: string): Record<string, unknown>;
}
