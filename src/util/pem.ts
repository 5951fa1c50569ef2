/**
 * Whether `value` is PEM text holding a `label` block ("CERTIFICATE", "PRIVATE KEY"); else what is
 * wrong, worded for an error message. OpenSSL's own words for a path given instead of a file's
 * contents ("no start line") say nothing about where the mistake is.
 */
export function pemProblem(value: string | Buffer, label: string): string | undefined {
  const text = typeof value === "string" ? value : value.toString("latin1");
  if (new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text)) return undefined;
  return `must be PEM text with a "-----BEGIN ${label}-----" block (the file's contents, not its path)`;
}

/**
 * A file path as an error message may quote it. A variable meant to name a key file sometimes
 * holds the key itself (secrets are often injected as text): that is never quoted.
 */
export function quotePath(path: string): string {
  if (path.includes("-----BEGIN") || /[\r\n]/.test(path)) {
    return "(a value holding PEM text, not a file path)";
  }
  return JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
}
