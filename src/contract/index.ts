/**
 * The generated contract, re-exported so that users import it from the package rather than from
 * `gen/` paths: the service descriptors, every message type with its schema, and the enums; and
 * the `google.rpc` error details the services attach to errors (read them with
 * `error.findDetails(ErrorInfoSchema)` or `error.findDetails(BadRequestSchema)`).
 */
export * from "../../gen/contextiq/memory/v1/memory_pb.js";
export * from "../../gen/contextiq/sessions/v1/sessions_pb.js";
export {
  type BadRequest,
  type BadRequest_FieldViolation,
  BadRequest_FieldViolationSchema,
  BadRequestSchema,
  type ErrorInfo,
  ErrorInfoSchema,
} from "../../gen/google/rpc/error_details_pb.js";
