import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ResultCodec } from "./request-log.js";

/** A Timestamp as ms since the epoch, 0 when unset. */
export function msOf(timestamp: Timestamp | undefined): number {
  return timestamp ? timestampMs(timestamp) : 0;
}

/** Encodes and decodes messages of `schema` as protobuf binary, for the request log. */
export function binaryCodec<Desc extends DescMessage>(
  schema: Desc,
): ResultCodec<MessageShape<Desc>> {
  return {
    encode: (message) => toBinary(schema, message),
    decode: (bytes) => fromBinary(schema, bytes),
  };
}
