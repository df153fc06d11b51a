/** Formatting shared by the host side and the plugin worker (which must stay light to start fast). */

/** Bytes for people: `512 bytes`, `12 KB`, `64 MB`, `1.5 GB` (binary units, as in manifests). */
export function formatBytes(n: number): string {
  const round = (x: number): string => String(Math.round(x * 10) / 10);
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 ** 2) return `${round(n / 1024)} KB`;
  if (n < 1024 ** 3) return `${round(n / 1024 ** 2)} MB`;
  return `${round(n / 1024 ** 3)} GB`;
}
