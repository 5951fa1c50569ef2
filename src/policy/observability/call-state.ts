import { type ContextKey, type ContextValues, createContextKey } from "@connectrpc/connect";
import type { Context, Span } from "@opentelemetry/api";

/** What the call interceptor shares with the attempt interceptor for one logical call. */
export interface CallState {
  /** The call's span; undefined without OpenTelemetry. */
  readonly span: Span | undefined;
  /** The context the call runs in, with its span: what attempts propagate to the server. */
  readonly context: Context | undefined;
  /** Attempts started so far, counted by the attempt interceptor. */
  attempts: number;
}

const callStateKey = createContextKey<CallState | undefined>(undefined, {
  description: "@contextiq/clients observability: the call",
});

/**
 * `parent` plus the call's state, for the interceptors inside the call interceptor.
 *
 * Setting the key on `parent` itself would be wrong: a caller may pass the same `contextValues`
 * to several concurrent calls, which would then overwrite each other's state. Everything else
 * goes through to `parent`, so the other interceptors see the values the caller gave.
 */
export function withCallState(parent: ContextValues, state: CallState): ContextValues {
  return {
    get<T>(key: ContextKey<T>): T {
      return key.id === callStateKey.id ? (state as T) : parent.get(key);
    },
    set(key, value) {
      parent.set(key, value);
      return this;
    },
    delete(key) {
      parent.delete(key);
      return this;
    },
  };
}

/** The state {@link withCallState} attached, if the call interceptor ran. */
export function callStateOf(values: ContextValues): CallState | undefined {
  return values.get(callStateKey);
}
