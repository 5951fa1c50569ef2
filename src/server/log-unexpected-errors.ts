import { ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Logs errors that are not ConnectErrors, with the RPC they came from: connect-node answers them
 * to the client as a bare INTERNAL, so without this a bug in a handler or the store leaves no trace.
 */
export function logUnexpectedErrors(
  log: (...data: unknown[]) => void = console.error,
): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      if (!(error instanceof ConnectError)) {
        log(`${request.service.typeName}/${request.method.name} failed unexpectedly:`, error);
      }
      throw error;
    }
  };
}
