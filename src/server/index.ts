/**
 * @contextiq/clients/server: the reference Sessions and Memory services, to run locally and inside
 * users' own tests. Importing it loads the SQLite native module (and pg only when a database is
 * given); the package root never does.
 */
export { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
export { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
export type { ServeTlsOptions } from "./serve/index.js";
export type { RunningServices, StartServicesOptions } from "./start-services.js";
export { startServices } from "./start-services.js";
export type { PostgresOptions } from "./store/postgres/connection.js";
