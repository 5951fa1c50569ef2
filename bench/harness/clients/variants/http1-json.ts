/** Our own Connect JSON transport over node:http, createHttp1JsonTransport, no facade. */
import { createHttp1JsonTransport } from "../../../../src/transport/index.js";
import type { CallerFactory } from "../caller.js";
import { connectCaller } from "./connect.js";

export const http1Json: CallerFactory = async (target) =>
  connectCaller(target, (baseUrl) => {
    const transport = createHttp1JsonTransport({ baseUrl });
    return { transport, close: () => transport.close() };
  });
