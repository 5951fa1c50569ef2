import { ConnectError } from "@connectrpc/connect";

const requestIds = new WeakMap<object, string>();

/**
 * The `requestId` a failed create was sent with. A create that failed may still have been
 * stored (its answer was lost on the way back); calling it again with this `requestId` stores it
 * at most once and returns the stored result. Undefined for other errors.
 *
 * ```ts
 * try { await memory.createMemory(fields); }
 * catch (error) { await memory.createMemory({ ...fields, requestId: requestIdOf(error) }); }
 * ```
 */
export function requestIdOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null ? requestIds.get(error) : undefined;
}

/** Runs a create, remembering its request id on the error it fails with. @internal */
export async function tagFailure<T>(requestId: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (e) {
    const error = ConnectError.from(e);
    requestIds.set(error, requestId);
    throw error;
  }
}
