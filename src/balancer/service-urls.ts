/** One URL of a client's `baseUrl`: where to connect, and what to call the host. */
export interface ServiceTarget {
  readonly scheme: "http" | "https";
  /** The host name or address, without IPv6 brackets. */
  readonly hostname: string;
  /** The port, the scheme's default when the URL has none. */
  readonly port: string;
  /** Sent as :authority or Host: the URL's host and port as written. */
  readonly authority: string;
  /** The URL's path without a trailing slash, "" for none. */
  readonly pathPrefix: string;
}

/**
 * The URLs of a `baseUrl` that may list several, separated by commas. They must share their
 * scheme and path: the endpoints of one service differ only by where they are. Throws a
 * TypeError that says which URL is wrong.
 */
export function parseServiceUrls(text: string): ServiceTarget[] {
  const targets = text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map(parseServiceUrl);
  const first = targets[0];
  if (first === undefined) throw new TypeError("no URL given");
  for (const target of targets) {
    if (target.scheme !== first.scheme || target.pathPrefix !== first.pathPrefix) {
      throw new TypeError(
        `every URL of a list must have the same scheme and path: "${describe(target)}" differs from "${describe(first)}"`,
      );
    }
  }
  return targets;
}

function parseServiceUrl(text: string): ServiceTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`"${text}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`"${text}" is not an http:// or https:// URL`);
  }
  const scheme = url.protocol === "https:" ? "https" : "http";
  return {
    scheme,
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port || (scheme === "https" ? "443" : "80"),
    authority: url.host,
    pathPrefix: url.pathname.replace(/\/+$/, ""),
  };
}

function describe(target: ServiceTarget): string {
  return `${target.scheme}://${target.authority}${target.pathPrefix}`;
}
