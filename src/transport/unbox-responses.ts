import type { Interceptor } from "@connectrpc/connect";
import { unboxNumberLists } from "./unboxed-number-lists.js";

/**
 * For transports that decode with protobuf-es themselves (connect-node's): each response's number
 * lists copied into arrays of unboxed doubles as soon as it arrives, so that the boxed numbers die
 * young instead of living as long as the caller holds the response (see unboxed-number-lists.ts).
 */
export const unboxResponses: Interceptor = (next) => async (req) => {
  const res = await next(req);
  if (!res.stream) unboxNumberLists(res.method.output, res.message);
  return res;
};
