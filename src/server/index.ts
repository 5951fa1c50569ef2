/**
 * @contextiq/clients/server: what it takes to serve ContextIQ's Sessions and Memory contracts.
 *
 * The service descriptors are what a connect-node router registers handlers for.
 */
export { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
export { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
