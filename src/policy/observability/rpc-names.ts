import { Code } from "@connectrpc/connect";

/** The OpenTelemetry `rpc.system` of a client transport. */
export type RpcSystem = "grpc" | "connect_rpc";

/** "grpc" for the gRPC transports, "connect_rpc" for the rest (the clients' "json" transport). */
export function rpcSystemOf(transport: string): RpcSystem {
  // gRPC-Web reports gRPC status codes too.
  return transport === "grpc" || transport === "grpc-web" ? "grpc" : "connect_rpc";
}

// Connect's own spelling ("not_found"), computed once: connect exports `codeToString` only as
// private API, and it runs a regex per call.
const codeNames: readonly string[] = Array.from({ length: Code.Unauthenticated + 1 }, (_, code) =>
  (Code[code] ?? String(code)).replace(/(?<=.)[A-Z]/g, (c) => `_${c}`).toLowerCase(),
);

/** "ok" for success, else the code as the Connect protocol spells it, e.g. "not_found". */
export function codeName(code: Code | undefined): string {
  if (code === undefined) return "ok";
  return codeNames[code] ?? String(code);
}

/** `server.address` and `server.port` of a request URL, or undefined when it does not parse. */
export function serverOf(url: string): { address: string; port: number } | undefined {
  if (!URL.canParse(url)) return undefined;
  const { hostname, port, protocol } = new URL(url);
  // URL leaves the port empty when it is the scheme's default; semconv wants it anyway.
  const effective = port === "" ? (protocol === "https:" ? 443 : 80) : Number(port);
  // IPv6 literals come back bracketed ("[::1]"); semconv wants the bare address.
  return { address: hostname.replace(/^\[(.*)\]$/, "$1"), port: effective };
}
