/** Number formats shared by the progress lines and the report. */

/** A figure with about three significant digits: 0.123, 1.23, 12.3, 123, 1,234. */
export function sig3(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A ratio as "1.23x". */
export function times(ratio: number | null): string {
  return ratio === null ? "–" : `${ratio.toFixed(2)}x`;
}

/** A fraction as a percentage: "4%". */
export function percent(fraction: number | null): string {
  return fraction === null ? "–" : `${Math.round(fraction * 100)}%`;
}

/** Seconds as "m:ss". */
export function minutes(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}
