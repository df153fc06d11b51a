/**
 * Outbound HTTP for plugins, done by the host thread: the request goes out only when its host is
 * in the plugin's `network` permission; everything else gets the wasi:http error
 * `HTTP-request-denied`. Redirects are not followed (a redirect to another host would bypass the
 * allow-list): the plugin sees the 3xx response. The response body is read as it streams in and
 * the request is aborted as soon as it passes the plugin's cap (`limits.maxHttpBodyBytes`, 16 MB
 * by default): the host never holds more than the cap and one chunk, and the plugin gets the
 * wasi:http error `HTTP-response-body-size`.
 */
import { httpBodyLimitMessage } from '../call-limits.js';
import type { HostCall } from './channel.js';
import { hostAllowed, type SandboxPolicy } from './policy.js';

export type WireHttpResult = { ok: true; status: number; headers: [string, string][]; body: string } | { ok: false; code: string; message: string };

function errorCode(err: unknown): string {
  const cause = (err as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  if ((err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError') return 'connection-timeout';
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS-error';
    case 'ECONNREFUSED':
      return 'connection-refused';
    case 'ECONNRESET':
      return 'connection-terminated';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection-timeout';
    default:
      return 'internal-error';
  }
}

export async function fetchForPlugin(call: Extract<HostCall, { h: 'http' }>, policy: SandboxPolicy, name: string): Promise<WireHttpResult> {
  if (!hostAllowed(call.url, policy.network)) {
    let host = call.url;
    try {
      host = new URL(call.url).host;
    } catch {
      // keep the raw text
    }
    const allowed = policy.network.length > 0 ? `it may reach only ${policy.network.join(', ')}` : 'it has no network permission';
    return { ok: false, code: 'HTTP-request-denied', message: `${name} may not connect to ${host}: ${allowed} (permissions.network)` };
  }
  const max = policy.callLimits.maxHttpBodyBytes;
  const tooLarge = (): WireHttpResult => ({ ok: false, code: 'HTTP-response-body-size', message: httpBodyLimitMessage(call.url, max) });
  // Aborted when the body passes the cap: the connection is dropped, nothing more is read.
  const stop = new AbortController();
  try {
    const init: RequestInit = { method: call.method, headers: call.headers, redirect: 'manual', signal: AbortSignal.any([stop.signal, AbortSignal.timeout(policy.timeoutMs)]) };
    if (call.body !== undefined) init.body = Buffer.from(call.body, 'base64');
    const res = await fetch(call.url, init);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > max) {
      stop.abort();
      return tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > max) {
          stop.abort();
          await reader.cancel().catch(() => {});
          return tooLarge();
        }
        chunks.push(value);
      }
    }
    const body = Buffer.concat(chunks, total).toString('base64');
    return { ok: true, status: res.status, headers: [...(res.headers as unknown as Iterable<[string, string]>)], body };
  } catch (err) {
    return { ok: false, code: errorCode(err), message: `${call.method} ${call.url} failed: ${(err as Error).message}` };
  }
}
