import { concat } from "./binary.js";
import type { Target } from "./endpoints.js";

/**
 * A POST over raw HTTP/1.1 bytes. `headers` replace or add to Host, Content-Type and a true
 * Content-Length; undefined drops one. The values go out as they are, line breaks included.
 */
export function rawHttp1(
  target: Target,
  contentType: string,
  body: Uint8Array,
  headers: Record<string, string | undefined> = {},
  requestLine = `POST ${target.path} HTTP/1.1`,
): Uint8Array {
  const all: Record<string, string | undefined> = {
    host: "127.0.0.1",
    "content-type": contentType,
    "content-length": `${body.length}`,
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}: ${value}\r\n`);
  return concat(new TextEncoder().encode(`${requestLine}\r\n${lines.join("")}\r\n`), body);
}
