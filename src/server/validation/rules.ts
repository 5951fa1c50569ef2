import type { JsonObject } from "@bufbuild/protobuf";
import type { Violations } from "./violations.js";

// Constraints shared by both services, as the contract's comments state them.

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const noNul = "must not contain the character U+0000";
const notWellFormed = "must be well-formed text (no lone surrogates)";

/** A UTF-16 surrogate without its other half: JSON can spell it (\ud800), UTF-8 cannot. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Largest Struct (`state`, `data`) accepted, serialized as JSON. */
export const maxStructBytes = 256 * 1024;

/**
 * Deepest nesting of objects and lists in a Struct. Deeper documents are hostile rather than
 * useful, and every later reader (JSON, SQLite's json functions, other languages' parsers) would
 * have to recurse as deep.
 */
export const maxStructDepth = 32;

/** Checks that `value` is a UUID; `optional` lets the empty string through. */
export function checkUuid(v: Violations, field: string, value: string, optional = false): boolean {
  if (optional && value === "") return true;
  return v.check(
    uuidPattern.test(value),
    field,
    value === "" ? "is required (a UUID)" : `must be a UUID, got ${quote(value)}`,
  );
}

/** Checks that `value` is a UUID and returns it in lowercase, the form ids are stored in. */
export function uuidField(v: Violations, field: string, value: string): string {
  checkUuid(v, field, value);
  return value.toLowerCase();
}

/**
 * Checks a string's length in characters (code points), between `min` and `max`, and that it holds
 * no U+0000, which PostgreSQL cannot store in text: every store refuses it alike.
 */
export function checkLength(
  v: Violations,
  field: string,
  value: string,
  max: number,
  min = 0,
): boolean {
  const length = [...value].length;
  if (min > 0 && value.trim() === "") return v.check(false, field, "is required");
  if (!v.check(!value.includes("\0"), field, noNul)) return false;
  if (!v.check(!loneSurrogate.test(value), field, notWellFormed)) return false;
  return v.check(
    length >= min && length <= max,
    field,
    `must be ${min > 0 ? `${min}-${max}` : `at most ${max}`} characters, got ${length}`,
  );
}

/** Checks that a number is finite and lies in [min, max]. */
export function checkRange(
  v: Violations,
  field: string,
  value: number,
  min: number,
  max: number,
  unit = "",
): boolean {
  return v.check(
    Number.isFinite(value) && value >= min && value <= max,
    field,
    `must be between ${min} and ${max}${unit}, got ${value}`,
  );
}

/**
 * Checks a scope map: at most 16 entries, keys 1-64 characters, values at most 256 (at least 1
 * when `nonEmptyValues`), and at least one entry when `required`.
 */
export function checkScope(
  v: Violations,
  field: string,
  scope: Readonly<Record<string, string>>,
  { required = false, nonEmptyValues = false } = {},
): boolean {
  const entries = Object.entries(scope);
  if (required && entries.length === 0) {
    return v.check(false, field, 'needs at least one entry, e.g. {"user_id": "123"}');
  }
  if (!v.check(entries.length <= 16, field, `has ${entries.length} entries, at most 16 allowed`)) {
    return false;
  }
  let ok = true;
  for (const [key, value] of entries) {
    ok &&= v.check(!`${key}${value}`.includes("\0"), `${field}[${quote(key)}]`, noNul);
    ok &&= v.check(
      !loneSurrogate.test(key) && !loneSurrogate.test(value),
      `${field}[${quote(key)}]`,
      notWellFormed,
    );
    ok &&= v.check(
      key.length >= 1 && key.length <= 64,
      `${field}[${quote(key)}]`,
      "key must be 1-64 characters",
    );
    ok &&= v.check(
      value.length <= 256 && (!nonEmptyValues || value.length > 0),
      `${field}[${quote(key)}]`,
      `value must be ${nonEmptyValues ? "1-256" : "at most 256"} characters`,
    );
  }
  return ok;
}

/**
 * Checks that a Struct nests at most {@link maxStructDepth} levels, holds only JSON numbers (a
 * binary Struct can carry NaN and Infinity, which JSON cannot) and well-formed text (JSON can
 * carry lone surrogates, which no store or encoder takes), and serializes to at most
 * {@link maxStructBytes} of JSON.
 */
export function checkStruct(v: Violations, field: string, value: JsonObject | undefined): boolean {
  if (value === undefined) return true;
  const depth = depthOf(value, maxStructDepth + 1);
  if (
    !v.check(
      depth <= maxStructDepth,
      field,
      `nests objects and lists more than ${maxStructDepth} levels deep`,
    )
  ) {
    return false;
  }
  if (!v.check(allFinite(value), field, "must hold only finite numbers (no NaN or Infinity)")) {
    return false;
  }
  if (!v.check(wellFormed(value), field, notWellFormed)) {
    return false;
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  return v.check(
    bytes <= maxStructBytes,
    field,
    `is ${bytes} bytes as JSON, at most ${maxStructBytes} allowed`,
  );
}

/** Checks an embedding: empty unless `required`, else 1-4096 finite values. */
export function checkEmbedding(
  v: Violations,
  field: string,
  values: readonly number[],
  required = false,
): boolean {
  if (values.length === 0) return v.check(!required, field, "is required (1-4096 values)");
  if (!v.check(values.length <= 4096, field, `has ${values.length} values, at most 4096 allowed`)) {
    return false;
  }
  return v.check(values.every(Number.isFinite), field, "must hold only finite numbers");
}

/** Resolves `page_size`: 0 means `fallback`, else 1-`max`. */
export function checkPageSize(v: Violations, value: number, fallback = 100, max = 1000): number {
  if (value === 0) return fallback;
  checkRange(v, "page_size", value, 1, max);
  return value;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/** Nesting depth of objects and lists in `value`, counting stops at `limit`. */
function depthOf(value: unknown, limit: number): number {
  if (value === null || typeof value !== "object" || limit === 0) return 0;
  let deepest = 0;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, limit - 1));
    if (deepest >= limit - 1) break;
  }
  return deepest + 1;
}

/** Whether every string and key in `value` is well-formed text, storable and encodable. */
function wellFormed(value: unknown): boolean {
  if (typeof value === "string") return !loneSurrogate.test(value);
  if (Array.isArray(value)) return value.every(wellFormed);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).every(([key, item]) => wellFormed(key) && wellFormed(item));
  }
  return true;
}

function allFinite(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(allFinite);
  if (value !== null && typeof value === "object") return Object.values(value).every(allFinite);
  return true;
}
