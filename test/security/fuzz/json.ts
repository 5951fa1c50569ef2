// JSON request bodies that the services' decoder is certain to refuse.
import { type DescMessage, fromJsonString } from "@bufbuild/protobuf";
import { concat, invalidUtf8, mutate } from "./binary.js";
import type { Random } from "./random.js";

/** The decoder the services run for JSON: strict UTF-8 first, then protobuf-es (see serve.ts). */
export function decodesAsJson(schema: DescMessage, bytes: Uint8Array): boolean {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    fromJsonString(schema, text, { ignoreUnknownFields: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Characters U+0001-U+001F other than tab, line feed and carriage return: JSON allows them
 * nowhere raw (not as whitespace, not inside a string, not after a backslash), so a text that
 * holds one is not JSON wherever it sits.
 */
const controls = [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 27, 31];

/**
 * Text that cannot follow the opening "{" of an object: there only whitespace, a '"' starting a
 * member name, or "}" may come, and "}" here closes the object before the rest of the text (which
 * is at least the original closing "}"), leaving non-whitespace after the top-level value.
 */
const afterBrace = [",", "'k':1,", "k:1,", "/*c*/", "//c\n", "NaN,", "]", ":", "}", "\\", "=", "{"];

/** Malformed variants of `valid` (a message's JSON text), each refused for the reason it names. */
export function malformedJson(valid: string, random: Random): { label: string; bytes: Uint8Array } {
  const encode = (text: string) => new TextEncoder().encode(text);
  const rest = valid.slice(1); // valid always starts with "{"
  switch (random.int(7)) {
    case 0: {
      // A proper prefix never holds the final "}", so the top-level object is never closed.
      const at = random.int(valid.length);
      return { label: `truncated at ${at}/${valid.length}`, bytes: encode(valid.slice(0, at)) };
    }
    case 1: {
      const at = random.int(valid.length + 1);
      const control = String.fromCharCode(random.pick(controls));
      return {
        label: `raw U+${control.charCodeAt(0).toString(16).padStart(4, "0")} at ${at}`,
        bytes: encode(valid.slice(0, at) + control + valid.slice(at)),
      };
    }
    case 2: {
      const junk = random.pick(afterBrace);
      return { label: `${JSON.stringify(junk)} after "{"`, bytes: encode(`{${junk}${rest}`) };
    }
    case 3: {
      // protobuf-es refuses a member name repeated in one object (JSON.parse would keep the last).
      const members = rest === "}" ? "}" : `,${rest}`;
      return { label: "duplicate member name", bytes: encode(`{"k":1,"k":2${members}`) };
    }
    case 4: {
      // After the top-level value only whitespace may follow.
      const junk = random.pick(["x", ",", "}", "{}", "[", "null", "\u0000"]);
      return { label: `${JSON.stringify(junk)} after the value`, bytes: encode(valid + junk) };
    }
    case 5: {
      // A message is a JSON object; protobuf-es refuses any other top-level value.
      const other = random.pick(["[]", "[{}]", "1", '"{}"', "true", "0.5e3"]);
      return { label: `top-level ${other}`, bytes: encode(other) };
    }
    default: {
      // Single-quoted strings are not JSON; every sample has at least one string to quote.
      return { label: "single quotes", bytes: encode(`{'k':1,${rest}`.replaceAll('"', "'")) };
    }
  }
}

/** `valid` with byte-level edits, then a raw control character (see `controls`) or a 0xff byte. */
export function mutatedJson(valid: string, random: Random): { label: string; bytes: Uint8Array } {
  const mutated = mutate(new TextEncoder().encode(valid), random);
  const at = random.int(mutated.length + 1);
  const poison = random.chance(0.5) ? [random.pick(controls)] : [0xff];
  const bytes = concat(mutated.subarray(0, at), Uint8Array.from(poison), mutated.subarray(at));
  return { label: `mutated, then byte 0x${poison[0]?.toString(16)} at ${at}`, bytes };
}

/**
 * `valid` with a sequence that is not UTF-8 inserted inside one of its strings; the services
 * decode JSON bodies with a fatal TextDecoder, which refuses the whole body.
 */
export function invalidUtf8Json(
  valid: string,
  random: Random,
): { label: string; bytes: Uint8Array } {
  const quotes = [...valid.matchAll(/"/g)].map((m) => m.index + 1);
  const at = random.pick(quotes.length > 0 ? quotes : [1]);
  const bad = random.pick(invalidUtf8);
  const text = new TextEncoder().encode(valid);
  const bytes = concat(text.subarray(0, at), Uint8Array.from(bad), text.subarray(at));
  return { label: `bytes ${hex(bad)} at ${at}`, bytes };
}

function hex(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
}
