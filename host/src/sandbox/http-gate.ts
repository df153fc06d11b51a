/**
 * Outbound HTTP for plugins, done by the host thread: the request goes out only when its host is
 * in the plugin's `network` permission; everything else gets the wasi:http error
 * `HTTP-request-denied`. Redirects are not followed (a redirect to another host would bypass the
 * allow-list): the plugin sees the 3xx response.
 */
import type { HostCall } from './channel.js';
import { hostAllowed, type SandboxPolicy } from './policy.js';

export type WireHttpResult = { ok: true; status: number; headers: [string, string][]; body: string } | { ok: false; code: string; message: string };

/** Largest response body handed to a plugin. */
const MAX_BODY = 16 * 1024 * 1024;

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
  try {
    const init: RequestInit = { method: call.method, headers: call.headers, redirect: 'manual', signal: AbortSignal.timeout(policy.timeoutMs) };
    if (call.body !== undefined) init.body = Buffer.from(call.body, 'base64');
    const res = await fetch(call.url, init);
    const buf = Buffer.from(await res.arrayBuffer());
    if (buf.length > MAX_BODY) return { ok: false, code: 'HTTP-response-body-size', message: `the response from ${call.url} is larger than ${MAX_BODY} bytes` };
    return { ok: true, status: res.status, headers: [...(res.headers as unknown as Iterable<[string, string]>)], body: buf.toString('base64') };
  } catch (err) {
    return { ok: false, code: errorCode(err), message: `${call.method} ${call.url} failed: ${(err as Error).message}` };
  }
}
