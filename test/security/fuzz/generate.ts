import { wrongContentType } from "./content-type-inputs.js";
import { deepNesting } from "./deep-nesting.js";
import { compressedFlag, hugeLengthPrefix, truncatedFrame } from "./envelope-inputs.js";
import { connectGet } from "./get-inputs.js";
import { gzipBody } from "./gzip-inputs.js";
import { h2Garbage } from "./h2-inputs.js";
import type { Input, InputClass } from "./input.js";
import type { Made } from "./made.js";
import {
  invalidUtf8Input,
  malformedJsonInput,
  mutatedValid,
  randomBytes,
} from "./payload-inputs.js";
import { createRandom, type Random } from "./random.js";
import { badAuthority, brokenHttp1, rawGarbage } from "./raw-inputs.js";
import type { SeedIds } from "./valid-requests.js";

/** Each class, its share of the inputs (per cent) and its generator. */
const classes: readonly [InputClass, number, (random: Random, ids: SeedIds) => Made][] = [
  ["random-bytes", 11, randomBytes],
  ["mutated-valid", 19, mutatedValid],
  ["malformed-json", 10, malformedJsonInput],
  ["invalid-utf8", 10, invalidUtf8Input],
  ["deep-nesting", 4, deepNesting],
  ["wrong-content-type", 7, wrongContentType],
  ["truncated-frame", 7, truncatedFrame],
  ["huge-length-prefix", 5, hugeLengthPrefix],
  ["compressed-flag", 5, compressedFlag],
  ["gzip-body", 4, gzipBody],
  ["connect-get", 6, connectGet],
  ["raw-garbage", 3, rawGarbage],
  ["broken-http1", 5, brokenHttp1],
  ["bad-authority", 1, badAuthority],
  ["h2-garbage", 3, h2Garbage],
];

const totalWeight = classes.reduce((sum, [, weight]) => sum + weight, 0);

/** Input `index` of the run seeded `seed`: the same pair always makes the same input. */
export function generateInput(seed: number, index: number, ids: SeedIds): Input {
  const random = createRandom(seed, index);
  let roll = random.int(totalWeight);
  for (const [name, weight, generate] of classes) {
    if (roll < weight) return { index, class: name, ...generate(random, ids) };
    roll -= weight;
  }
  throw new Error("unreachable: the weights cover every roll");
}
