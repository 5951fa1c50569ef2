import { createHttp1Sender } from "./http1-sender.js";
import { createHttp2Sender } from "./http2-sender.js";
import type { Input } from "./input.js";
import type { Outcome } from "./outcome.js";
import { sendRaw } from "./raw-sender.js";

/** Sends any input over its wire to the services' ports. */
export interface Senders {
  send(input: Pick<Input, "port" | "request">): Promise<Outcome>;
  /** Drops every connection, e.g. after the server restarted. */
  reset(): void;
  close(): void;
}

export function createSenders(
  ports: Readonly<Record<Input["port"], number>>,
  options: { maxSockets: number; timeoutMs: number },
): Senders {
  const http1 = createHttp1Sender(options.maxSockets);
  const h2 = createHttp2Sender();
  return {
    send: ({ port, request }) => {
      const to = ports[port];
      switch (request.wire) {
        case "http1":
          return http1.send(to, request, options.timeoutMs);
        case "h2":
          return h2.send(to, request, options.timeoutMs);
        case "raw":
          return sendRaw(to, request, options.timeoutMs);
      }
    },
    reset: () => {
      http1.close();
      h2.close();
    },
    close: () => {
      http1.close();
      h2.close();
    },
  };
}
