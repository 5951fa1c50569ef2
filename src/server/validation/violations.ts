import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../../gen/google/rpc/error_details_pb.js";

/**
 * One field of a request that broke its constraint: the field's proto name (or path, e.g.
 * `memory.fact`) and what is allowed.
 */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * Collects every violation of a request, so that a caller learns about all of them at once, then
 * throws one INVALID_ARGUMENT whose message names the first field and whose google.rpc.BadRequest
 * detail lists them all.
 */
export class Violations {
  private readonly found: FieldViolation[] = [];

  /** Records a violation of `field`. */
  add(field: string, description: string): void {
    this.found.push({ field, description });
  }

  /** Records a violation of `field` unless `ok`. Returns `ok`, so that dependent checks can be skipped. */
  check(ok: boolean, field: string, description: string): boolean {
    if (!ok) this.add(field, description);
    return ok;
  }

  /** Whether any violation was recorded. */
  get any(): boolean {
    return this.found.length > 0;
  }

  /** Throws INVALID_ARGUMENT when any violation was recorded. */
  throwIfAny(): void {
    if (this.found.length > 0) throw invalidArgument(this.found);
  }
}

/**
 * INVALID_ARGUMENT for the given violations, e.g. `[invalid_argument] title: must be at most 500
 * characters (and 1 more violation)`.
 */
export function invalidArgument(violations: readonly FieldViolation[]): ConnectError {
  const [first, ...rest] = violations;
  const more =
    rest.length === 0 ? "" : ` (and ${rest.length} more violation${rest.length > 1 ? "s" : ""})`;
  const message = first ? `${first.field}: ${first.description}${more}` : "invalid request";
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    {
      desc: BadRequestSchema,
      value: {
        fieldViolations: violations.map((v) => ({ ...v, reason: "INVALID_FIELD" })),
      },
    },
  ]);
}
