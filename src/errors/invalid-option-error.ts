import { Code, ConnectError } from "@connectrpc/connect";

/** Where a value came from: an option, by its path, or an environment variable, by its name. */
export interface OptionSource {
  /** E.g. "timeoutMs", "circuitBreaker.windowSize", or "SESSIONS_SERVICE_TIMEOUT". */
  readonly option: string;
  /** Whether `option` is the name of an environment variable. */
  readonly fromEnvironment: boolean;
  /** For an option, the function it was given to when that is not obvious, e.g. "startServices". */
  readonly of?: string;
}

/**
 * A client or service option, or the environment variable that stands for it, holds a value that
 * cannot work. Thrown before anything is sent, listened on or written. It is a ConnectError with
 * Code.InvalidArgument, so code that handles a client's INVALID_ARGUMENT handles it too.
 *
 * Its message names where the value came from, what it must be and what it was (never the value
 * of a secret): "option `timeoutMs` must be a number of ms from 1 to 2147483647, got 0", or
 * 'SESSIONS_SERVICE_TIMEOUT must be a number of seconds, got "thirty"'. ConnectError shows it
 * as `message` behind "[invalid_argument] ", and as `rawMessage` without.
 */
export class InvalidOptionError extends ConnectError {
  // `name` stays "ConnectError": ConnectError's own instanceof test recognises subclasses by it,
  // and ConnectError.from() would otherwise wrap this error in another one.

  /** Ordinary prototype-chain instanceof: ConnectError's static test would accept any ConnectError. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(InvalidOptionError, value);
  }

  /** The option's path ("circuitBreaker.windowSize") or the variable's name. */
  readonly option: string;
  /** Whether the value came from the environment variable `option`. */
  readonly fromEnvironment: boolean;

  /**
   * @param message What is wrong, in words that name the source ("option `timeoutMs`", a variable);
   *   one that does not gets the source put in front, so that no message can leave it out.
   */
  constructor(source: OptionSource, message: string) {
    super(
      message.includes(source.option) ? message : `${describeSource(source)}: ${message}`,
      Code.InvalidArgument,
    );
    this.option = source.option;
    this.fromEnvironment = source.fromEnvironment;
  }
}

/** Whether `error` is an {@link InvalidOptionError}. */
export function isInvalidOptionError(error: unknown): error is InvalidOptionError {
  return error instanceof InvalidOptionError;
}

/**
 * How a message names a source: "option `timeoutMs`", "startServices option `maxConnections`",
 * or the variable's bare name.
 */
export function describeSource({ option, fromEnvironment, of }: OptionSource): string {
  if (fromEnvironment) return option;
  return `${of === undefined ? "" : `${of} `}option \`${option}\``;
}
