import {
  create,
  type DescMessage,
  type DescMethodUnary,
  isMessage,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { CallSignal, requestWithCallSignal } from "./call-signal.js";

/** What a transport of this package gives {@link createUnaryCall}. */
export interface UnaryCallOptions {
  /** The base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly interceptors: readonly Interceptor[] | undefined;
  /** Deadline of a call that sets none; 0 or undefined for none. */
  readonly defaultTimeoutMs: number | undefined;
  /** Writes the call's deadline into its headers, in the protocol's own header. */
  writeDeadline(header: Headers, deadlineMs: number): void;
  /** Sends one attempt. */
  send(req: UnaryRequest): Promise<UnaryResponse>;
}

/** connect's `Transport.unary`, as both of this package's transports make a call. */
export type UnaryCall = <I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  header: ConstructorParameters<typeof Headers>[0],
  input: MessageInitShape<I>,
  contextValues?: ContextValues,
) => Promise<UnaryResponse<I, O>>;

/**
 * A call as connect's transports make it: the deadline (a call's 0 or less means none, as does
 * the default's) in a CallSignal that also carries the caller's cancel, the request through the
 * interceptors, and the deadline or the cancel as the answer whatever the attempt reported.
 */
export function createUnaryCall(options: UnaryCallOptions): UnaryCall {
  const { baseUrl, defaultTimeoutMs, writeDeadline } = options;
  // Composed once, not per call: interceptors keep per-call state inside the call, not here.
  const intercepted = (options.interceptors ?? []).reduceRight<
    (req: UnaryRequest) => Promise<UnaryResponse>
  >((next, interceptor) => interceptor(next as never) as never, options.send);

  return async (method, signal, timeoutMs, header, input, contextValues) => {
    const chosen = timeoutMs ?? defaultTimeoutMs;
    const deadlineMs = chosen !== undefined && chosen > 0 ? chosen : undefined;
    const call = new CallSignal(signal, deadlineMs);
    const requestHeader = new Headers(header);
    if (deadlineMs !== undefined) writeDeadline(requestHeader, deadlineMs);
    const request = requestWithCallSignal(call, {
      stream: false,
      service: method.parent,
      method,
      requestMethod: "POST",
      url: `${baseUrl}/${method.parent.typeName}/${method.name}`,
      header: requestHeader,
      contextValues: contextValues ?? createContextValues(),
      message: isMessage(input, method.input) ? input : create(method.input, input),
    });
    try {
      return (await intercepted(request)) as UnaryResponse<
        typeof method.input,
        typeof method.output
      >;
    } catch (error) {
      throw call.aborted
        ? ConnectError.from(call.reason, Code.Canceled)
        : ConnectError.from(error, Code.Internal);
    } finally {
      call.end();
    }
  };
}
