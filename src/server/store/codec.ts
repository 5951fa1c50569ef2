import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import { bytesOf, float32Of, floatLists } from "./float32.js";
import type { ResultCodec } from "./request-log.js";

/** A Timestamp as ms since the epoch, 0 when unset. */
export function msOf(timestamp: Timestamp | undefined): number {
  return timestamp ? timestampMs(timestamp) : 0;
}

/**
 * Encodes and decodes messages of `schema` as protobuf binary, for the request log. A `repeated
 * float` field (an embedding) is written as its float32 bytes, which is what its packed encoding
 * is, after the other fields: one copy instead of a write per float (a field may come in any
 * order on the wire, and a decoder reads it as any other).
 */
export function binaryCodec<Desc extends DescMessage>(
  schema: Desc,
): ResultCodec<MessageShape<Desc>> {
  const lists = floatLists(schema);
  return {
    encode: (message) => {
      if (lists.length === 0) return toBinary(schema, message);
      const rest: Record<string, unknown> = { ...message };
      const packed = new BinaryWriter();
      for (const field of lists) {
        const values = rest[field.localName] as number[];
        rest[field.localName] = [];
        if (values.length === 0) continue;
        packed.tag(field.number, WireType.LengthDelimited).bytes(bytesOf(float32Of(values)));
      }
      return Buffer.concat([toBinary(schema, rest as MessageShape<Desc>), packed.finish()]);
    },
    decode: (bytes) => fromBinary(schema, bytes),
  };
}
