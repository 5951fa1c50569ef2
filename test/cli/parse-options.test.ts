// The option parsers: what they accept, and that what they refuse is a commander usage error.
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import {
  parseEmbedding,
  parseInteger,
  parseJsonObject,
  parseNumber,
  parseScope,
  parseSeconds,
  parseUrl,
} from "../../src/cli/parse-options.js";

describe("parseScope", () => {
  it("reads key=value pairs; a value may hold '='", () => {
    expect(parseScope("user_id=123")).toEqual({ user_id: "123" });
    expect(parseScope("user_id=1, agent=a=b")).toEqual({ user_id: "1", agent: "a=b" });
  });

  it.each(["user_id", "=1", "a=1,", "a=1,a=2"])("refuses %j", (value) => {
    expect(() => parseScope(value)).toThrow(InvalidArgumentError);
  });
});

describe("parseJsonObject", () => {
  it("reads a JSON object", () => {
    expect(parseJsonObject('{"content":"hi","n":[1]}')).toEqual({ content: "hi", n: [1] });
  });

  it("refuses what does not parse, and what is not an object", () => {
    expect(() => parseJsonObject("{content:hi}")).toThrow(/not valid JSON/);
    expect(() => parseJsonObject("[1]")).toThrow(/expected a JSON object/);
    expect(() => parseJsonObject("null")).toThrow(/expected a JSON object/);
  });
});

describe("numbers", () => {
  it("reads numbers, whole numbers, seconds and embeddings", () => {
    expect(parseNumber("0.9")).toBe(0.9);
    expect(parseInteger("3600")).toBe(3600);
    expect(parseSeconds("1.5")).toBe(1.5);
    expect(parseEmbedding("0.1, 0.2,-3")).toEqual([0.1, 0.2, -3]);
  });

  it.each([
    [parseNumber, "abc"],
    [parseNumber, ""],
    [parseNumber, "Infinity"],
    [parseInteger, "1.5"],
    [parseSeconds, "0"],
    [parseEmbedding, "0.1,,0.2"],
    [parseEmbedding, "0.1,x"],
  ])("%o refuses %j", (parse, value) => {
    expect(() => parse(value)).toThrow(InvalidArgumentError);
  });
});

describe("parseUrl", () => {
  it("takes http and https URLs only", () => {
    expect(parseUrl("http://localhost:8001")).toBe("http://localhost:8001");
    expect(() => parseUrl("localhost:8001")).toThrow(InvalidArgumentError);
    expect(() => parseUrl("ftp://host")).toThrow(InvalidArgumentError);
  });
});
