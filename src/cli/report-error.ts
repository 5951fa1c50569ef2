import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";

/**
 * What to print on stderr for a failed command: one readable line, `error: <message> (<code>)`,
 * then, for INVALID_ARGUMENT, each field violation the service listed beyond the one the message
 * already names.
 */
export function describeError(error: unknown): string[] {
  if (error instanceof ConnectError) {
    const lines = [`error: ${error.rawMessage} (${codeName(error.code)})`];
    const violations = error
      .findDetails(BadRequestSchema)
      .flatMap((request) => request.fieldViolations)
      .map((violation) => `${violation.field}: ${violation.description}`);
    // The service's message is the first violation; repeating a lone one would only add noise.
    if (violations.length > 1 || (violations[0] && !error.rawMessage.includes(violations[0]))) {
      lines.push(...violations.map((violation) => `  ${violation}`));
    }
    return lines;
  }
  return [`error: ${error instanceof Error ? error.message : String(error)}`];
}

/** `Code.NotFound` → "not_found", as the Connect protocol spells codes on the wire. */
export function codeName(code: Code): string {
  const name = Code[code] ?? String(code);
  return name.replace(/(?<=[a-z])(?=[A-Z])/g, "_").toLowerCase();
}
