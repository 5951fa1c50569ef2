// What the workers check of an embedding service's answer before they store anything with it.
import { describe, expect, it } from "vitest";
import { Code, ConnectError, type EmbeddingService } from "../../src/index.js";
import { checkEmbeddingService, embedTexts } from "../../src/workers/embed-texts.js";
import { rejection } from "../support/errors.js";

/** A service of 3 dimensions that answers `answer` whatever it is asked. */
function answering(answer: unknown): EmbeddingService {
  return { name: "Fixed", dimensions: 3, embed: async () => answer as number[][] };
}

describe("embedTexts", () => {
  it("returns one vector per text, rounded to float32", async () => {
    const vectors = await embedTexts(
      answering([
        [0.1, 0.2, 0.3],
        [1, 0, 0],
      ]),
      ["a", "b"],
      undefined,
    );
    expect(vectors).toEqual([[0.1, 0.2, 0.3].map(Math.fround), [1, 0, 0]]);
  });

  // Answers for the texts "a" and "b": a good first vector, then `second`.
  const withSecond = (second: unknown) => [[1, 0, 0], second];
  it.each([
    ["too few vectors", [[1, 0, 0]], "returned 1 vector for 2 texts"],
    ["too many vectors", [...withSecond([1, 0, 0]), [1, 0, 0]], "returned 3 vectors for 2 texts"],
    ["no array", { data: [] }, "returned no array (object) for 2 texts"],
    [
      "a wrong dimension",
      withSecond([1, 0]),
      "returned 2 values for text 2, not its `dimensions` (3)",
    ],
    ["NaN", withSecond([1, Number.NaN, 0]), "returned NaN at value 1 of text 2"],
    ["Infinity", withSecond([0, 0, -Infinity]), "returned -Infinity at value 2 of text 2"],
    ["a double beyond float32", withSecond([1e39, 0, 0]), "returned 1e+39 at value 0 of text 2"],
    ["a string", withSecond([1, 0, "0.5"]), "returned a string at value 2 of text 2"],
    ["all zeros", withSecond([0, 0, 0]), "returned all zeros for text 2"],
  ])("fails INTERNAL on %s, naming the service and what was wrong", async (_, answer, problem) => {
    const error = await rejection(
      embedTexts(answering(answer), ["a", "b"], undefined),
      Code.Internal,
    );
    expect(error.rawMessage).toContain(`the embedding service Fixed ${problem}`);
    expect(error.rawMessage).toContain("nothing was stored with it");
  });

  it("names a service by its class when it has no name", async () => {
    class Broken implements EmbeddingService {
      readonly dimensions = 2;
      embed = async () => [];
    }
    const error = await rejection(embedTexts(new Broken(), ["a"], undefined), Code.Internal);
    expect(error.rawMessage).toBe(
      "the embedding service Broken returned 0 vectors for 1 text; nothing was stored with it",
    );
  });

  it("keeps the code of a service that fails, naming the service", async () => {
    const unavailable: EmbeddingService = {
      dimensions: 3,
      embed: async () => {
        throw new ConnectError("model overloaded", Code.Unavailable);
      },
    };
    const error = await rejection(embedTexts(unavailable, ["a"], undefined), Code.Unavailable);
    expect(error.rawMessage).toBe("the embedding service failed to embed 1 text: model overloaded");
    const plain: EmbeddingService = {
      dimensions: 3,
      embed: async () => {
        throw new TypeError("fetch failed");
      },
    };
    await rejection(embedTexts(plain, ["a"], undefined), Code.Unknown);
  });

  it("is CANCELED when its signal is aborted, and passes the signal on", async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const slow: EmbeddingService = {
      dimensions: 3,
      embed: (_, options) => {
        seen = options?.signal;
        controller.abort();
        return Promise.reject(new Error("aborted"));
      },
    };
    await rejection(embedTexts(slow, ["a"], controller.signal), Code.Canceled);
    expect(seen).toBe(controller.signal);
  });

  it("asks nothing of the service for no texts", async () => {
    const never: EmbeddingService = {
      dimensions: 3,
      embed: () => Promise.reject(new Error("not to be called")),
    };
    expect(await embedTexts(never, [], undefined)).toEqual([]);
  });
});

describe("checkEmbeddingService", () => {
  it.each([0, 4097, 2.5, Number.NaN])("refuses %s dimensions, naming the option", (dimensions) => {
    expect(() =>
      checkEmbeddingService({ dimensions, embed: async () => [] }, "embeddings"),
    ).toThrow(/^\[invalid_argument\] option `embeddings`: the embedding service has `dimensions`/);
  });
});
