/// <reference path="./wasi.d.ts" />
/**
 * `ctx.fetch`, backed by `wasi:http/outgoing-handler` and `wasi:http/types` (built in only when
 * `permissions.network` is declared). Synchronous: the request is sent, the call blocks until
 * the response arrives, and the whole body is read. The host checks the destination against the
 * plugin's network permissions and answers `HTTP-request-denied` for any other host.
 */
import http, { type FutureIncomingResponse, type IncomingResponse, type Method, type OutgoingRequest } from 'wasi:http/types';
import handler from 'wasi:http/outgoing-handler';
import { NodeError, type FetchInit, type FetchResponse } from '../index.js';
import { dispose, rethrow, wasiErrorCode } from './errors.js';

const METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);
const CHUNK = 4096; // a WASI output stream accepts at most 4 KiB per blocking-write-and-flush

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

function responseOf(url: string, status: number, headers: Record<string, string>, body: Uint8Array): FetchResponse {
  let text: string | undefined;
  const read = (): string => (text ??= new TextDecoder().decode(body));
  return {
    status,
    ok: status >= 200 && status < 300,
    headers,
    text: read,
    json<T = unknown>(): T {
      try {
        return JSON.parse(read()) as T;
      } catch {
        throw new NodeError('plugin-error', `ctx.fetch("${url}"): the response (status ${status}) is not valid JSON`);
      }
    },
  };
}

/** The text of an error-code variant, e.g. `destination-not-found` or `HTTP-request-denied`. */
function refused(url: string, code: { tag: string; val?: unknown }): never {
  throw Object.assign(new Error(code.tag), { payload: code });
}

export function createFetch(declared: readonly string[]): (url: string, init?: FetchInit) => FetchResponse {
  return function fetch(url: string, init: FetchInit = {}): FetchResponse {
    const what = `ctx.fetch("${url}")`;
    const m = /^(https?):\/\/([^/?#]+)([^#]*)/i.exec(String(url));
    if (!m) throw new NodeError('plugin-error', `${what}: not an http:// or https:// URL`);
    const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
    const method = (init.method ?? 'GET').toLowerCase();
    let request: OutgoingRequest | undefined;
    let future: FutureIncomingResponse | undefined;
    let response: IncomingResponse | undefined;
    try {
      const enc = new TextEncoder();
      const headerList = Object.entries(init.headers ?? {}).map(([k, v]): [string, Uint8Array] => [k.toLowerCase(), enc.encode(String(v))]);
      request = new http.OutgoingRequest(http.Fields.fromList(headerList));
      request.setMethod((METHODS.has(method) ? { tag: method } : { tag: 'other', val: init.method }) as Method);
      request.setScheme({ tag: scheme.toLowerCase() === 'https' ? 'HTTPS' : 'HTTP' });
      request.setAuthority(authority);
      request.setPathWithQuery(rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest);
      const body = request.body();
      if (init.body !== undefined) {
        const bytes = enc.encode(String(init.body));
        const out = body.write();
        try {
          for (let at = 0; at < bytes.length; at += CHUNK) out.blockingWriteAndFlush(bytes.subarray(at, at + CHUNK));
        } finally {
          dispose(out);
        }
      }
      http.OutgoingBody.finish(body, null);
      future = handler.handle(request, null);
      request = undefined; // handle() took ownership
      const ready = future.subscribe();
      ready.block();
      dispose(ready); // a pollable must go before its future
      const got = future.get();
      if (!got || got.tag !== 'ok') throw new NodeError('plugin-error', `${what}: the host gave no response`);
      if (got.val.tag === 'err') refused(url, got.val.val);
      response = got.val.val;
      const status = response.status();
      const headers: Record<string, string> = {};
      const fields = response.headers();
      const dec = new TextDecoder();
      for (const [k, v] of fields.entries()) headers[k] = headers[k] === undefined ? dec.decode(v) : `${headers[k]}, ${dec.decode(v)}`;
      dispose(fields);
      const incoming = response.consume();
      const stream = incoming.stream();
      const chunks: Uint8Array[] = [];
      try {
        for (;;) {
          let chunk: Uint8Array;
          try {
            chunk = stream.blockingRead(65536);
          } catch (thrown) {
            if (wasiErrorCode(thrown) === 'closed') break;
            throw thrown;
          }
          chunks.push(chunk);
        }
      } finally {
        dispose(stream);
        dispose(incoming);
      }
      return responseOf(url, status, headers, concat(chunks));
    } catch (thrown) {
      if (wasiErrorCode(thrown)?.toLowerCase() === 'http-request-denied') {
        throw new NodeError('permission-denied', `${what}: permission denied by the host (HTTP-request-denied); the plugin's network permissions are ${declared.join(', ')}`, { wasi: 'HTTP-request-denied' });
      }
      return rethrow(thrown, what);
    } finally {
      dispose(response);
      dispose(future);
      dispose(request);
    }
  };
}
