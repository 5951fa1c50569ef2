import { type DescMessage, type MessageShape, toBinary, toJsonString } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";

/**
 * The size of one list item as its response will carry it: JSON when the call is Connect JSON
 * (a float of an embedding is 4 bytes in binary and up to 20 as JSON), binary otherwise.
 */
export function itemSizer<Desc extends DescMessage>(
  schema: Desc,
  context: HandlerContext,
): (item: MessageShape<Desc>) => number {
  const json =
    /json/i.test(context.requestHeader.get("content-type") ?? "") ||
    /[?&]encoding=json(&|$)/.test(context.url);
  return json
    ? (item) => Buffer.byteLength(toJsonString(schema, item))
    : (item) => toBinary(schema, item).byteLength;
}
