import type { JsonValue } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

/** A timestamp as ISO 8601 to the second, or "-" when unset. */
export function formatTime(timestamp: Timestamp | undefined): string {
  if (timestamp === undefined) return "-";
  return timestampDate(timestamp)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");
}

/** `user_id=123,agent=a`, the way `--scope` takes it. */
export function formatScope(scope: Readonly<Record<string, string>>): string {
  const entries = Object.entries(scope);
  return entries.length === 0 ? "-" : entries.map(([key, value]) => `${key}=${value}`).join(",");
}

/** Compact JSON, or "-" when there is none. */
export function formatJson(value: JsonValue | undefined): string {
  return value === undefined ? "-" : JSON.stringify(value);
}

/** A 0-1 score with two decimals: the stored doubles carry more digits than anyone reads. */
export function formatScore(value: number, digits = 2): string {
  return value.toFixed(digits);
}

/** At most `max` characters, with an ellipsis when cut: long facts would push columns off-screen. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** The text, or "-" when empty, so that an empty cell still reads as a value. */
export function orDash(text: string): string {
  return text === "" ? "-" : text;
}
