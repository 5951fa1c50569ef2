// InvalidOptionError: a ConnectError (INVALID_ARGUMENT) that names where a bad value came from,
// whose message reads well with ConnectError's code in front of it, once.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  describeSource,
  InvalidOptionError,
  isInvalidOptionError,
} from "../../src/errors/invalid-option-error.js";
import { RetryBudget } from "../../src/policy/retry-budget.js";

describe("InvalidOptionError", () => {
  const option = { option: "timeoutMs", fromEnvironment: false };
  const error = new InvalidOptionError(option, "option `timeoutMs` must be a number, got 0");

  it("is a ConnectError with Code.InvalidArgument that ConnectError.from keeps as it is", () => {
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe(Code.InvalidArgument);
    expect(ConnectError.from(error)).toBe(error);
    expect(isInvalidOptionError(error)).toBe(true);
    expect(isInvalidOptionError(new ConnectError("x", Code.InvalidArgument))).toBe(false);
  });

  it("carries its source, and shows the code once in front of the message", () => {
    expect(error).toMatchObject({ option: "timeoutMs", fromEnvironment: false });
    expect(error.rawMessage).toBe("option `timeoutMs` must be a number, got 0");
    expect(error.message).toBe("[invalid_argument] option `timeoutMs` must be a number, got 0");
  });

  it("puts the source in front of a message that does not name it", () => {
    const variable = { option: "CONTEXTIQ_IDLE_TIMEOUT", fromEnvironment: true };
    expect(new InvalidOptionError(variable, "too long").rawMessage).toBe(
      "CONTEXTIQ_IDLE_TIMEOUT: too long",
    );
  });

  it("names options by path, variables by name, and the function given one when it says", () => {
    expect(describeSource({ option: "circuitBreaker.windowSize", fromEnvironment: false })).toBe(
      "option `circuitBreaker.windowSize`",
    );
    expect(describeSource({ option: "SESSIONS_SERVICE_URL", fromEnvironment: true })).toBe(
      "SESSIONS_SERVICE_URL",
    );
    expect(
      describeSource({ option: "maxConnections", fromEnvironment: false, of: "startServices" }),
    ).toBe("startServices option `maxConnections`");
  });

  it("is what a RetryBudget made directly throws, naming the setting as the client option", () => {
    expect(() => new RetryBudget({ maxTokens: 0 })).toThrow(InvalidOptionError);
    expect(() => new RetryBudget({ tokenRatio: -1 })).toThrow(
      "option `retryBudget.tokenRatio` must be a number from 0.001 to 1000, got -1",
    );
  });
});
