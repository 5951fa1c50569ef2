import { randomInt } from "node:crypto";
import { mulberry32 } from "./mulberry32.js";

/**
 * Random draws from the seed in the environment variable `variable`, or from a fresh seed, printed
 * so that a failing run can be repeated.
 */
export function seededRandom(variable: string, label: string): () => number {
  const seed = Number(process.env[variable] ?? randomInt(2 ** 31));
  if (!Number.isInteger(seed)) throw new Error(`${variable} must be an integer`);
  console.log(`${label}: seed ${seed} (${variable}=${seed} repeats the draws)`);
  return mulberry32(seed);
}
