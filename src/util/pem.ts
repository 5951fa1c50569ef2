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
