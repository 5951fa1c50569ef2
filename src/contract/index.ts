/**
 * The generated contract, re-exported so that users import it from the package rather than from
 * `gen/` paths: the service descriptors, every message type with its schema, and the enums.
 */
export * from "../../gen/contextiq/memory/v1/memory_pb.js";
export * from "../../gen/contextiq/sessions/v1/sessions_pb.js";
