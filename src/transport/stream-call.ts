import {
  create,
  type DescMessage,
  type DescMethodStreaming,
  isMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type StreamRequest,
  type StreamResponse,
} from "@connectrpc/connect";
import { CallSignal } from "./call-signal.js";
import type { UnaryCallOptions } from "./unary-call.js";

/** What a transport of this package gives {@link createStreamCall}: as for unary calls, but `send`. */
export interface StreamCallOptions extends Omit<UnaryCallOptions, "send"> {
  /** Opens the stream: resolves once the response headers came, with the messages to read. */
  send(req: StreamRequest): Promise<StreamResponse>;
}

/** connect's `Transport.stream`, as this package's transports make a streaming call. */
export type StreamCall = <I extends DescMessage, O extends DescMessage>(
  method: DescMethodStreaming<I, O>,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  header: ConstructorParameters<typeof Headers>[0],
  input: AsyncIterable<MessageInitShape<I>>,
  contextValues?: ContextValues,
) => Promise<StreamResponse<I, O>>;

/**
 * A streaming call as connect's transports make it: the deadline (a call's 0 or less means none,
 * as does the default's) and the caller's cancel in one signal, the request through the
 * interceptors, and the deadline or the cancel as the error whatever the stream reported. The call
 * lasts until its response's messages are read to the end, or the reader stops.
 */
export function createStreamCall(options: StreamCallOptions): StreamCall {
  const { baseUrl, defaultTimeoutMs, writeDeadline } = options;
  const intercepted = (options.interceptors ?? []).reduceRight<
    (req: StreamRequest) => Promise<StreamResponse>
  >((next, interceptor) => interceptor(next as never) as never, options.send);

  return async <I extends DescMessage, O extends DescMessage>(
    method: DescMethodStreaming<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: ConstructorParameters<typeof Headers>[0],
    input: AsyncIterable<MessageInitShape<I>>,
    contextValues?: ContextValues,
  ) => {
    const chosen = timeoutMs ?? defaultTimeoutMs;
    const deadlineMs = chosen !== undefined && chosen > 0 ? chosen : undefined;
    const call = new CallSignal(signal, deadlineMs);
    // Aborted, the call is over even if its reader never comes back to the messages (connect's
    // generated clients hide the iterator's return(), so a `break` there reaches nothing).
    call.addListener(() => call.end());
    const requestHeader = new Headers(header);
    if (deadlineMs !== undefined) writeDeadline(requestHeader, deadlineMs);
    const request: StreamRequest<I, O> = {
      stream: true,
      service: method.parent,
      method,
      requestMethod: "POST",
      url: `${baseUrl}/${method.parent.typeName}/${method.name}`,
      header: requestHeader,
      contextValues: contextValues ?? createContextValues(),
      signal: call.signal,
      message: messagesOf(method.input, input),
    };
    let response: StreamResponse<I, O>;
    try {
      response = (await intercepted(request as never)) as unknown as StreamResponse<I, O>;
    } catch (error) {
      call.end();
      throw callError(call, error);
    }
    return { ...response, message: endingWith(call, response.message) };
  };
}

/** The caller's messages, each made a message of `schema` when given as an init shape. */
async function* messagesOf<I extends DescMessage>(
  schema: I,
  input: AsyncIterable<MessageInitShape<I>>,
): AsyncIterable<MessageShape<I>> {
  for await (const message of input) {
    yield isMessage(message, schema) ? message : create(schema, message);
  }
}

/** `messages`, with the call's deadline and cancel as their error, ending the call after them. */
async function* endingWith<O>(call: CallSignal, messages: AsyncIterable<O>): AsyncIterable<O> {
  try {
    yield* messages;
  } catch (error) {
    throw callError(call, error);
  } finally {
    call.end();
  }
}

/** The cancel or the deadline when the call was aborted (whatever the stream said), else `error`. */
function callError(call: CallSignal, error: unknown): ConnectError {
  return call.aborted
    ? ConnectError.from(call.reason, Code.Canceled)
    : ConnectError.from(error, Code.Internal);
}
