/**
 * @contextiq/clients: typed clients for ContextIQ's Sessions and Memory services.
 *
 * This entry point never loads server code or native modules; the reference services live in
 * `@contextiq/clients/server`.
 */
export * from "./contract/index.js";
