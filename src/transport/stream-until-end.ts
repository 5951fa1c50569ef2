import type { StreamResponse } from "@connectrpc/connect";

/**
 * `response`, whose messages call `onEnd` once they are done: read to the end, failed, or left by
 * a reader that stopped early (`break`, which calls the iterator's `return()`). A transport
 * counts a stream among its calls in flight until then, so that closing it waits for the stream.
 * A stream whose messages are never iterated is never done: its reader must cancel it.
 */
export function untilMessagesEnd<R extends StreamResponse>(response: R, onEnd: () => void): R {
  return { ...response, message: endingWith(response.message, onEnd) };
}

async function* endingWith<T>(messages: AsyncIterable<T>, onEnd: () => void): AsyncIterable<T> {
  try {
    yield* messages;
  } finally {
    onEnd();
  }
}
