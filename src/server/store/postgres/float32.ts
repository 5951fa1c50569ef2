import { numbersOf } from "../float32.js";

/**
 * Float32 values (an embedding, rounded once: see ../float32.ts) as a real[] parameter in
 * PostgreSQL's text form, each the shortest decimal that reads back as the same value. Written by
 * JSON.stringify, which prints 1,536 numbers in about 0.2 ms where join (or pg's own conversion of
 * a number[], which also quotes each one) takes 0.8 (1.3) ms. JSON writes a non-finite value as
 * null, which Infinity (a value past float32's range) must not become: those go through join.
 */
export function realArray(values: Float32Array): string {
  const numbers = numbersOf(values);
  return numbers.every(Number.isFinite)
    ? `{${JSON.stringify(numbers).slice(1, -1)}}`
    : `{${values.join(",")}}`;
}
