import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { EndpointTarget } from "./endpoint-target.js";
import type { KeepAliveAgent } from "./keep-alive-agent.js";

/** Where one endpoint's HTTP/1.1 attempts go: its target, and the address its sockets connect to. */
export interface Http1EndpointTarget extends EndpointTarget {
  /** The host name or IP address connected to (IPv6 without brackets). */
  readonly hostname: string;
  /** The port connected to, "" for the scheme's default. */
  readonly port: string;
}

/** One endpoint's target with what its requests go out by: node's request function and sockets. */
export interface Http1Endpoint extends Http1EndpointTarget {
  readonly request: typeof httpRequest;
  readonly agent: KeepAliveAgent;
}

/** The endpoint of `target` on `agent`'s keep-alive sockets, for unary calls and streams alike. */
export function http1Endpoint(agent: KeepAliveAgent, target: Http1EndpointTarget): Http1Endpoint {
  return { ...target, request: target.scheme === "https" ? httpsRequest : httpRequest, agent };
}
