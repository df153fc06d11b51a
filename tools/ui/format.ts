/**
 * Sizes for people, the one formatter every command prints sizes with (build, info, pack): the
 * host's `formatBytes` (binary units): `512 bytes`, `35.2 KB`, `4.6 MB`, `1.5 GB`, at most one
 * decimal. A 35 KB component is `35.2 KB`, never `0.0 MB`.
 */
export { formatBytes as formatSize } from '../../host/src/sandbox/format.js';
