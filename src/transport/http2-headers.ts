import type { IncomingHttpHeaders } from "node:http2";

/**
 * Fetch-API Headers from node's HTTP/2 headers, without the pseudo-headers (`:status`). Repeated
 * fields arrive as arrays and are appended one by one, as on the wire.
 */
export function headersFromHttp2(incoming: IncomingHttpHeaders | undefined): Headers {
  const headers = new Headers();
  if (incoming !== undefined) copyInto(headers, incoming);
  return headers;
}

const native = Headers.prototype;
// Typed as a bare constructor: the DOM typings declare Headers' methods as properties, which a
// subclass cannot override; the methods below call the native ones explicitly instead.
const NativeHeaders: new () => object = Headers;

/**
 * Headers that are copied from node's HTTP/2 headers the first time they are used. Most callers
 * never look at a successful response's headers and trailers, and filling Headers costs a few µs
 * per field; a real Headers subclass keeps every use (and `instanceof Headers`) working.
 */
class LazyHttp2Headers extends NativeHeaders {
  private incoming: IncomingHttpHeaders | undefined;

  constructor(incoming: IncomingHttpHeaders | undefined) {
    super();
    this.incoming = incoming;
  }

  private fill(): Headers {
    const headers = this as unknown as Headers;
    const incoming = this.incoming;
    if (incoming !== undefined) {
      this.incoming = undefined;
      copyInto(headers, incoming);
    }
    return headers;
  }

  append(name: string, value: string): void {
    native.append.call(this.fill(), name, value);
  }
  delete(name: string): void {
    native.delete.call(this.fill(), name);
  }
  get(name: string): string | null {
    return native.get.call(this.fill(), name);
  }
  getSetCookie(): string[] {
    return native.getSetCookie.call(this.fill());
  }
  has(name: string): boolean {
    return native.has.call(this.fill(), name);
  }
  set(name: string, value: string): void {
    native.set.call(this.fill(), name, value);
  }
  forEach(
    callback: (value: string, key: string, parent: Headers) => void,
    thisArg?: unknown,
  ): void {
    native.forEach.call(this.fill(), callback, thisArg);
  }
  keys(): ReturnType<Headers["keys"]> {
    return native.keys.call(this.fill());
  }
  values(): ReturnType<Headers["keys"]> {
    return native.values.call(this.fill());
  }
  entries(): ReturnType<Headers["entries"]> {
    return native.entries.call(this.fill());
  }
  [Symbol.iterator](): ReturnType<Headers["entries"]> {
    return native[Symbol.iterator].call(this.fill());
  }
}

/** {@link headersFromHttp2}, deferred until the headers are first used. */
export function lazyHeadersFromHttp2(incoming: IncomingHttpHeaders | undefined): Headers {
  return new LazyHttp2Headers(incoming) as unknown as Headers;
}

function copyInto(headers: Headers, incoming: IncomingHttpHeaders): void {
  for (const name in incoming) {
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = incoming[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) native.append.call(headers, name, v);
    else native.append.call(headers, name, String(value));
  }
}
