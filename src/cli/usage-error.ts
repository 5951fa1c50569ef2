/**
 * A mistake in how the command was called that only shows once the options are combined or handed
 * to a client (commander catches the rest itself): exit code 2, like commander's own errors.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
