/**
 * The outgoing side of `wasi:http` for one instance: `wasi:http/types` resources and
 * `wasi:http/outgoing-handler.handle`.
 *
 * The guest builds an `outgoing-request` (headers, method, scheme, authority, path, body stream);
 * `handle` returns a `future-incoming-response`. The request is performed, synchronously through
 * `WasiIo.http`, the first time the future is asked (`get`, or its pollable is checked) once the
 * body is complete (never taken, or `outgoing-body.finish`ed): the host's answer then becomes an
 * `incoming-response` whose `incoming-body` streams the bytes, or the `error-code` variant
 * `{ tag: code }` (with the payload the WIT requires for that case). The allow-list is the
 * caller's business (`WasiIo.http` answers `{ ok: false, code: 'HTTP-request-denied' }`).
 *
 * Shapes follow jco's glue: variants are `{ tag, val? }`, `option<T>` is `T | undefined`,
 * `result` errors are thrown (the unit error as `UNIT_ERR`), `future.get()` returns
 * `undefined` (not ready), `{ tag: 'ok', val: { tag: 'ok' | 'err', val } }` (the first time) or
 * `{ tag: 'err', val: undefined }` (already taken).
 *
 * Headers the guest may not set (`header-error.forbidden`): connection, keep-alive,
 * proxy-connection, transfer-encoding, upgrade, host, http2-settings, te. Authorities with
 * userinfo (`@`) or path characters are refused (`set-authority` fails), so the host named in the
 * URL is the host the caller checks.
 */
import type { HttpTypes, WasiImports } from './contract.js';
import type { HttpRequestOut, HttpResult } from './index.js';
import { UNIT_ERR } from './errors.js';
import { StreamFailure, type InputStreamInstance, type Io, type OutputStreamInstance, type PollableInstance } from './io.js';

/** Largest request body a guest may send in one request. */
export const MAX_REQUEST_BODY = 64 << 20;

type Method = HttpTypes.Method;
type Scheme = HttpTypes.Scheme;
type HeaderError = HttpTypes.HeaderError;
/** `wasi:http/types.error-code` as jco represents it (the shipped declaration, see contract.ts). */
export type HttpErrorCode = HttpTypes.ErrorCode;
type Result<T, E> = HttpTypes.Result<T, E>;

const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings', 'te']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Every `error-code` case, with the payload the sandbox gives it from the host's message:
 * `null` for a case without one; empty options and records where the case has an optional
 * payload the host knows nothing about; the message where the case carries a string.
 */
const ERROR_PAYLOADS: { [C in HttpErrorCode as C['tag']]: C extends { val: infer V } ? (message: string) => V : null } = {
  'DNS-timeout': null,
  'DNS-error': (m) => ({ rcode: m || undefined, infoCode: undefined }),
  'destination-not-found': null,
  'destination-unavailable': null,
  'destination-IP-prohibited': null,
  'destination-IP-unroutable': null,
  'connection-refused': null,
  'connection-terminated': null,
  'connection-timeout': null,
  'connection-read-timeout': null,
  'connection-write-timeout': null,
  'connection-limit-reached': null,
  'TLS-protocol-error': null,
  'TLS-certificate-error': null,
  'TLS-alert-received': (m) => ({ alertId: undefined, alertMessage: m || undefined }),
  'HTTP-request-denied': null,
  'HTTP-request-length-required': null,
  'HTTP-request-body-size': () => undefined,
  'HTTP-request-method-invalid': null,
  'HTTP-request-URI-invalid': null,
  'HTTP-request-URI-too-long': null,
  'HTTP-request-header-section-size': () => undefined,
  'HTTP-request-header-size': () => undefined,
  'HTTP-request-trailer-section-size': () => undefined,
  'HTTP-request-trailer-size': () => ({}),
  'HTTP-response-incomplete': null,
  'HTTP-response-header-section-size': () => undefined,
  'HTTP-response-header-size': () => ({}),
  'HTTP-response-body-size': () => undefined,
  'HTTP-response-trailer-section-size': () => undefined,
  'HTTP-response-trailer-size': () => ({}),
  'HTTP-response-transfer-coding': (m) => m || undefined,
  'HTTP-response-content-coding': (m) => m || undefined,
  'HTTP-response-timeout': null,
  'HTTP-upgrade-failed': null,
  'HTTP-protocol-error': null,
  'loop-detected': null,
  'configuration-error': null,
  'internal-error': (m) => m || undefined,
};

const CANONICAL = new Map(Object.keys(ERROR_PAYLOADS).map((c) => [c.toLowerCase(), c as keyof typeof ERROR_PAYLOADS]));

/**
 * The `error-code` variant for a case name from `HttpResult` (case-insensitive), with the
 * payload its WIT case needs. `permission-denied` is taken as `HTTP-request-denied`; anything
 * unknown becomes `internal-error` carrying the name and message.
 */
export function httpErrorVariant(code: string, message: string): HttpErrorCode {
  const lower = code.toLowerCase();
  const tag = lower === 'permission-denied' ? 'HTTP-request-denied' : CANONICAL.get(lower);
  if (tag === undefined) return { tag: 'internal-error', val: `${code}: ${message}` };
  const payload = ERROR_PAYLOADS[tag];
  // ERROR_PAYLOADS pairs each tag with its payload's type; TypeScript cannot follow that pairing
  // through a tag known only at run time.
  return (payload === null ? { tag } : { tag, val: payload(message) }) as HttpErrorCode;
}

/** Bytes → string keeping every byte (latin1), as HTTP header values are byte strings. */
function bytesToByteString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
/** String → bytes: latin1 when every char fits in a byte, UTF-8 otherwise. */
function byteStringToBytes(s: string): Uint8Array {
  let fits = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) fits = false;
  if (!fits) return new TextEncoder().encode(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function checkName(name: string): string {
  if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
  const lower = name.toLowerCase();
  if (FORBIDDEN.has(lower)) throw { tag: 'forbidden' } satisfies HeaderError;
  return lower;
}
function checkValue(value: Uint8Array): Uint8Array {
  for (const b of value) if (b === 0 || b === 10 || b === 13) throw { tag: 'invalid-syntax' } satisfies HeaderError;
  return new Uint8Array(value);
}

const METHOD_NAMES: Record<string, string> = {
  get: 'GET', head: 'HEAD', post: 'POST', put: 'PUT', delete: 'DELETE', connect: 'CONNECT', options: 'OPTIONS', trace: 'TRACE', patch: 'PATCH',
};

/** Builds the `wasi:http/types` and `wasi:http/outgoing-handler` import entries. */
export function createHttp(host: { http(req: HttpRequestOut): HttpResult }, io: Io): Pick<WasiImports, 'wasi:http/types' | 'wasi:http/outgoing-handler'> {
  let makeFields: (entries: [string, Uint8Array][], immutable: boolean) => Fields;
  let fieldEntries: (f: Fields) => [string, Uint8Array][];

  class Fields implements HttpTypes.Fields {
    #entries: [string, Uint8Array][] = [];
    #immutable = false;
    static {
      makeFields = (entries, immutable) => {
        const f = new Fields();
        f.#entries = entries.map(([k, v]) => [k, new Uint8Array(v)]);
        f.#immutable = immutable;
        return f;
      };
      fieldEntries = (f) => f.#entries;
    }
    static fromList(entries: [string, Uint8Array][]): Fields {
      return makeFields(
        entries.map(([k, v]) => [checkName(k), checkValue(v)]),
        false,
      );
    }
    get(name: string): Uint8Array[] {
      const lower = name.toLowerCase();
      return this.#entries.filter(([k]) => k === lower).map(([, v]) => new Uint8Array(v));
    }
    has(name: string): boolean {
      const lower = name.toLowerCase();
      return this.#entries.some(([k]) => k === lower);
    }
    set(name: string, values: Uint8Array[]): void {
      this.#mutable();
      const lower = checkName(name);
      const checked = values.map(checkValue);
      this.#entries = this.#entries.filter(([k]) => k !== lower);
      for (const v of checked) this.#entries.push([lower, v]);
    }
    delete(name: string): void {
      this.#mutable();
      const lower = checkName(name);
      this.#entries = this.#entries.filter(([k]) => k !== lower);
    }
    append(name: string, value: Uint8Array): void {
      this.#mutable();
      const lower = checkName(name);
      this.#entries.push([lower, checkValue(value)]);
    }
    entries(): [string, Uint8Array][] {
      return this.#entries.map(([k, v]) => [k, new Uint8Array(v)]);
    }
    clone(): Fields {
      return makeFields(this.#entries, false);
    }
    #mutable(): void {
      if (this.#immutable) throw { tag: 'immutable' } satisfies HeaderError;
    }
  }

  /** Body state shared between an outgoing request, its body and its future response. */
  interface BodyState {
    taken: boolean;
    finished: boolean;
    dropped: boolean;
    chunks: Uint8Array[];
    size: number;
  }

  class OutgoingBody implements HttpTypes.OutgoingBody {
    #state: BodyState;
    #streamTaken = false;
    constructor(state: BodyState) {
      this.#state = state;
    }
    write(): OutputStreamInstance {
      if (this.#streamTaken || this.#state.finished) throw UNIT_ERR;
      this.#streamTaken = true;
      const state = this.#state;
      return new io.OutputStream({
        write: (bytes: Uint8Array): void => {
          if (state.finished || state.dropped) throw new StreamFailure('the request body is already finished');
          if (state.size + bytes.length > MAX_REQUEST_BODY) {
            throw new StreamFailure(`request body larger than ${MAX_REQUEST_BODY} bytes`, undefined, { tag: 'HTTP-request-body-size', val: undefined });
          }
          state.chunks.push(bytes);
          state.size += bytes.length;
        },
      });
    }
    static finish(body: OutgoingBody, _trailers: Fields | undefined): void {
      // Trailers are not sent (the host's fetch cannot send them); the body is complete.
      body.#state.finished = true;
    }
    dispose(): void {
      if (!this.#state.finished) this.#state.dropped = true;
    }
  }

  class OutgoingRequest implements HttpTypes.OutgoingRequest {
    #headers: [string, Uint8Array][];
    #method: Method = { tag: 'get' };
    #path: string | undefined = undefined;
    #scheme: Scheme | undefined = undefined;
    #authority: string | undefined = undefined;
    #body: BodyState = { taken: false, finished: false, dropped: false, chunks: [], size: 0 };
    #sent = false;
    constructor(headers: Fields) {
      this.#headers = fieldEntries(headers).map(([k, v]) => [k, new Uint8Array(v)]);
    }
    body(): OutgoingBody {
      if (this.#body.taken) throw UNIT_ERR;
      this.#body.taken = true;
      return new OutgoingBody(this.#body);
    }
    method(): Method {
      return { ...this.#method };
    }
    setMethod(method: Method): void {
      if (method.tag === 'other' && !TOKEN.test(method.val)) throw UNIT_ERR;
      this.#method = { ...method };
    }
    pathWithQuery(): string | undefined {
      return this.#path;
    }
    setPathWithQuery(path: string | undefined): void {
      if (path !== undefined && (/[\s\0]/.test(path) || (path !== '' && !path.startsWith('/') && !path.startsWith('?')))) throw UNIT_ERR;
      this.#path = path;
    }
    scheme(): Scheme | undefined {
      return this.#scheme ? { ...this.#scheme } : undefined;
    }
    setScheme(scheme: Scheme | undefined): void {
      if (scheme?.tag === 'other' && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme.val)) throw UNIT_ERR;
      this.#scheme = scheme ? { ...scheme } : undefined;
    }
    authority(): string | undefined {
      return this.#authority;
    }
    setAuthority(authority: string | undefined): void {
      if (authority !== undefined && (authority === '' || /[\s\0@/?#\\]/.test(authority))) throw UNIT_ERR;
      this.#authority = authority;
    }
    headers(): Fields {
      return makeFields(this.#headers, true);
    }
    /** What `handle` needs; marks the request as sent (a request is sent once). */
    static take(req: OutgoingRequest): { state: BodyState; build: () => HttpRequestOut | HttpErrorCode } {
      if (req.#sent) return { state: req.#body, build: () => ({ tag: 'internal-error', val: 'the request was already sent' }) };
      req.#sent = true;
      const method = req.#method.tag === 'other' ? req.#method.val : METHOD_NAMES[req.#method.tag]!;
      const scheme = req.#scheme === undefined ? 'https' : req.#scheme.tag === 'other' ? req.#scheme.val.toLowerCase() : req.#scheme.tag.toLowerCase();
      const authority = req.#authority;
      const path = req.#path === undefined || req.#path === '' ? '/' : req.#path.startsWith('?') ? `/${req.#path}` : req.#path;
      const headers: [string, string][] = req.#headers.map(([k, v]) => [k, bytesToByteString(v)]);
      const state = req.#body;
      return {
        state,
        build: (): HttpRequestOut | HttpErrorCode => {
          if (authority === undefined) return { tag: 'HTTP-request-URI-invalid' };
          if (scheme !== 'http' && scheme !== 'https') return { tag: 'HTTP-request-URI-invalid' };
          let url: string;
          try {
            url = new URL(`${scheme}://${authority}${path}`).href;
          } catch {
            return { tag: 'HTTP-request-URI-invalid' };
          }
          const out: HttpRequestOut = { method, url, headers };
          // An empty body is no body (fetch refuses any body, even empty, on GET and HEAD).
          if (state.size > 0) out.body = concat(state.chunks, state.size);
          return out;
        },
      };
    }
  }

  class RequestOptions implements HttpTypes.RequestOptions {
    #connect: bigint | undefined;
    #firstByte: bigint | undefined;
    #betweenBytes: bigint | undefined;
    connectTimeout(): bigint | undefined {
      return this.#connect;
    }
    setConnectTimeout(d: bigint | undefined): void {
      this.#connect = d;
    }
    firstByteTimeout(): bigint | undefined {
      return this.#firstByte;
    }
    setFirstByteTimeout(d: bigint | undefined): void {
      this.#firstByte = d;
    }
    betweenBytesTimeout(): bigint | undefined {
      return this.#betweenBytes;
    }
    setBetweenBytesTimeout(d: bigint | undefined): void {
      this.#betweenBytes = d;
    }
  }

  class FutureTrailers implements HttpTypes.FutureTrailers {
    #taken = false;
    subscribe(): PollableInstance {
      return new io.Pollable();
    }
    get(): Result<Result<Fields | undefined, HttpErrorCode>, undefined> | undefined {
      if (this.#taken) return { tag: 'err', val: undefined };
      this.#taken = true;
      return { tag: 'ok', val: { tag: 'ok', val: undefined } };
    }
  }

  class IncomingBody implements HttpTypes.IncomingBody {
    #body: Uint8Array;
    #streamTaken = false;
    constructor(body: Uint8Array) {
      this.#body = body;
    }
    stream(): InputStreamInstance {
      if (this.#streamTaken) throw UNIT_ERR;
      this.#streamTaken = true;
      let pos = 0;
      const body = this.#body;
      return new io.InputStream({
        read: (max: number): Uint8Array | null => {
          if (pos >= body.length) return null;
          const chunk = body.slice(pos, pos + max);
          pos += chunk.length;
          return chunk;
        },
      });
    }
    static finish(_body: IncomingBody): FutureTrailers {
      return new FutureTrailers();
    }
  }

  class IncomingResponse implements HttpTypes.IncomingResponse {
    #status: number;
    #headers: [string, Uint8Array][];
    #body: Uint8Array | undefined;
    constructor(status: number, headers: [string, Uint8Array][], body: Uint8Array) {
      this.#status = status;
      this.#headers = headers;
      this.#body = body;
    }
    status(): number {
      return this.#status;
    }
    headers(): Fields {
      return makeFields(this.#headers, true);
    }
    consume(): IncomingBody {
      if (this.#body === undefined) throw UNIT_ERR;
      const body = new IncomingBody(this.#body);
      this.#body = undefined;
      return body;
    }
  }

  type Outcome = Result<IncomingResponse, HttpErrorCode>;

  class FutureIncomingResponse implements HttpTypes.FutureIncomingResponse {
    #state: BodyState;
    #build: () => HttpRequestOut | HttpErrorCode;
    #outcome: Outcome | undefined;
    #taken = false;
    constructor(state: BodyState, build: () => HttpRequestOut | HttpErrorCode) {
      this.#state = state;
      this.#build = build;
    }
    subscribe(): PollableInstance {
      return new io.Pollable(undefined, () => this.#ready());
    }
    get(): Result<Outcome, undefined> | undefined {
      if (this.#taken) return { tag: 'err', val: undefined };
      if (!this.#ready()) return undefined;
      this.#taken = true;
      return { tag: 'ok', val: this.#perform() };
    }
    #ready(): boolean {
      return this.#outcome !== undefined || !this.#state.taken || this.#state.finished || this.#state.dropped;
    }
    #perform(): Outcome {
      if (this.#outcome) return this.#outcome;
      this.#outcome = this.#run();
      return this.#outcome;
    }
    #run(): Outcome {
      if (this.#state.taken && !this.#state.finished) {
        return { tag: 'err', val: { tag: 'internal-error', val: 'the request body was dropped before outgoing-body.finish' } };
      }
      const req = this.#build();
      if ('tag' in req) return { tag: 'err', val: req };
      let res: HttpResult;
      try {
        res = host.http(req);
      } catch (e) {
        return { tag: 'err', val: { tag: 'internal-error', val: (e as Error)?.message ?? String(e) } };
      }
      if (!res.ok) return { tag: 'err', val: httpErrorVariant(res.code, res.message) };
      const headers: [string, Uint8Array][] = res.headers.map(([k, v]) => [k.toLowerCase(), byteStringToBytes(v)]);
      return { tag: 'ok', val: new IncomingResponse(res.status, headers, res.body) };
    }
  }

  // The server side is not offered (no incoming-handler export is served): present for linking.
  class IncomingRequest implements HttpTypes.IncomingRequest {
    method(): Method {
      return { tag: 'get' };
    }
    pathWithQuery(): string | undefined {
      return undefined;
    }
    scheme(): Scheme | undefined {
      return undefined;
    }
    authority(): string | undefined {
      return undefined;
    }
    headers(): Fields {
      return makeFields([], true);
    }
    consume(): IncomingBody {
      throw UNIT_ERR;
    }
  }
  class OutgoingResponse implements HttpTypes.OutgoingResponse {
    #status = 200;
    #headers: [string, Uint8Array][];
    #bodyTaken = false;
    constructor(headers: Fields) {
      this.#headers = fieldEntries(headers).map(([k, v]) => [k, new Uint8Array(v)]);
    }
    statusCode(): number {
      return this.#status;
    }
    setStatusCode(status: number): void {
      if (status < 100 || status > 999) throw UNIT_ERR;
      this.#status = status;
    }
    headers(): Fields {
      return makeFields(this.#headers, true);
    }
    body(): OutgoingBody {
      if (this.#bodyTaken) throw UNIT_ERR;
      this.#bodyTaken = true;
      return new OutgoingBody({ taken: true, finished: false, dropped: false, chunks: [], size: 0 });
    }
  }
  class ResponseOutparam implements HttpTypes.ResponseOutparam {
    static set(_param: ResponseOutparam, _response: unknown): void {
      throw new Error('wasi:http incoming requests are not served in the sandbox');
    }
  }

  const symbolDispose: symbol = (Symbol as unknown as { dispose?: symbol }).dispose ?? Symbol.for('dispose');
  (OutgoingBody.prototype as unknown as Record<symbol, () => void>)[symbolDispose] = OutgoingBody.prototype.dispose;

  return {
    'wasi:http/types': {
      Fields,
      FutureIncomingResponse,
      FutureTrailers,
      IncomingBody,
      IncomingRequest,
      IncomingResponse,
      OutgoingBody,
      OutgoingRequest,
      OutgoingResponse,
      RequestOptions,
      ResponseOutparam,
      httpErrorCode(err: unknown): HttpErrorCode | undefined {
        if (err instanceof io.IoError && err.httpCode !== undefined) return err.httpCode;
        return undefined;
      },
    },
    'wasi:http/outgoing-handler': {
      handle(request: HttpTypes.OutgoingRequest, _options: HttpTypes.RequestOptions | undefined): FutureIncomingResponse {
        if (!(request instanceof OutgoingRequest)) throw { tag: 'internal-error', val: 'not an outgoing-request' } satisfies HttpErrorCode;
        const { state, build } = OutgoingRequest.take(request);
        return new FutureIncomingResponse(state, build);
      },
    },
  };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
