/**
 * What stands between a hostile request and connect-node's handler: the requests it mishandles
 * are answered here instead (each found by test/security/fuzz.test.ts).
 */
import { guardEnvelopes, isEnvelopedBody } from "./envelope-guard.js";
import type { HttpFallback } from "./health-http.js";

type NodeHandler = HttpFallback;
type NodeServerResponse = Parameters<NodeHandler>[1];

/** `handler`, behind the checks. */
export function guardRequests(handler: NodeHandler): NodeHandler {
  return (request, response) => {
    const problem = request.method === "GET" ? getQueryProblem(request.url ?? "") : undefined;
    if (problem !== undefined) {
      refuse(response, problem);
      return;
    }
    if (isEnvelopedBody(request.headers["content-type"])) guardEnvelopes(request);
    try {
      handler(request, response);
    } catch (error) {
      // Thrown from a request listener, this would end the process. What connect-node throws
      // here is its reading of the request's URL from Host (or :authority).
      const url = /authority|invalid url/i.test(String(error));
      refuse(
        response,
        url
          ? "bad request: the Host header (or :authority) is missing or malformed"
          : "bad request: the request could not be read",
      );
    }
  };
}

/**
 * The problem of a Connect GET's `message`, which connect-node decodes leniently: invalid UTF-8
 * in its percent-encoding becomes U+FFFD, and text that is not base64 an INTERNAL error.
 */
function getQueryProblem(url: string): string | undefined {
  const query = url.indexOf("?");
  if (query < 0) return undefined;
  let message: string | undefined;
  let base64 = false;
  for (const pair of url.slice(query + 1).split("&")) {
    const [name, value = ""] = pair.split("=", 2);
    if (name === "base64") base64 = value === "1";
    if (name !== "message") continue;
    try {
      message = decodeURIComponent(value.replace(/\+/g, " "));
    } catch {
      return "query parameter `message` is not valid percent-encoded UTF-8";
    }
  }
  if (base64 && message !== undefined && !isBase64(message)) {
    return "query parameter `message` is not base64 although base64=1";
  }
  return undefined;
}

/** Standard or URL-safe base64, padded or not: a length of 4n + 1 characters is never base64. */
function isBase64(text: string): boolean {
  const match = /^[A-Za-z0-9+/_-]*(=?=?)$/.exec(text);
  if (match === null) return false;
  const padding = match[1]?.length ?? 0;
  const digits = text.length - padding;
  return padding === 0 ? digits % 4 !== 1 : text.length % 4 === 0;
}

/** A Connect INVALID_ARGUMENT answer (HTTP 400, JSON), unless a response has begun. */
function refuse(response: NodeServerResponse, message: string): void {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  const body = JSON.stringify({ code: "invalid_argument", message });
  response.writeHead(400, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
