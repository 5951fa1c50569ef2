/**
 * @contextiq/clients/server: the reference Sessions and Memory services, to run locally and inside
 * users' own tests. Their stores load better-sqlite3 (SQLite) or pg (PostgreSQL) when they open:
 * both are optional peer dependencies, and a missing one is named with the command that installs
 * it. The contract (`SessionsService`, `MemoryService`, the messages) is in the package root.
 *
 * @packageDocumentation
 */

export { MissingPeerDependencyError, type OptionalPeer } from "./optional-peer.js";
export type { ServeTlsOptions } from "./serve/index.js";
export type { ServiceLimitOptions } from "./serve/service-limit-options.js";
export type { RunningServices, StartServicesOptions } from "./start-services.js";
export { startServices } from "./start-services.js";
export type { PostgresOptions, VectorIndexOptions } from "./store/postgres/connection.js";
