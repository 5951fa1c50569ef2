// Parsers of option values, for commander's `argParser`: each throws InvalidArgumentError, which
// commander reports naming the option (`option '--scope <key=value>' argument 'x' is invalid. ...`)
// and which exits with the usage code.
import type { JsonObject } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "commander";

/** `user_id=123,agent=a` → `{ user_id: "123", agent: "a" }`; a value may contain `=`. */
export function parseScope(value: string): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const entry of value.split(",")) {
    const at = entry.indexOf("=");
    const key = entry.slice(0, at).trim();
    if (at < 0 || key === "") {
      throw new InvalidArgumentError(`expected key=value[,key=value], e.g. user_id=123`);
    }
    if (key in scope) throw new InvalidArgumentError(`the key "${key}" is given twice`);
    scope[key] = entry.slice(at + 1).trim();
  }
  return scope;
}

/** A JSON object, e.g. `{"content":"hi"}`: not an array or a scalar, since the services store objects. */
export function parseJsonObject(value: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`expected a JSON object, e.g. {"key":"value"}`);
  }
  return parsed as JsonObject;
}

/** A finite number, e.g. `0.9`. */
export function parseNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed)) {
    throw new InvalidArgumentError("expected a number");
  }
  return parsed;
}

/** A whole number, e.g. `3600`. */
export function parseInteger(value: string): number {
  const parsed = parseNumber(value);
  if (!Number.isSafeInteger(parsed)) throw new InvalidArgumentError("expected a whole number");
  return parsed;
}

/** A number of seconds greater than 0, e.g. `1` or `2.5`. */
export function parseSeconds(value: string): number {
  const parsed = parseNumber(value);
  if (parsed <= 0) throw new InvalidArgumentError("expected a number of seconds greater than 0");
  return parsed;
}

/** Comma-separated numbers, e.g. `0.1,0.2,0.3`. */
export function parseEmbedding(value: string): number[] {
  return value.split(",").map((item) => {
    const parsed = Number(item);
    if (item.trim() === "" || !Number.isFinite(parsed)) {
      throw new InvalidArgumentError(
        `expected comma-separated numbers, e.g. 0.1,0.2; got "${item}"`,
      );
    }
    return parsed;
  });
}

/** A text with something in it besides spaces. */
export function parseText(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("expected a text, got nothing");
  return value;
}

/** An http:// or https:// URL, e.g. `http://localhost:8001`. */
export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected a URL, e.g. http://localhost:8001");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError("expected an http:// or https:// URL");
  }
  return value;
}
