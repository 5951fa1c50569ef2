import type { DescMessage } from "@bufbuild/protobuf";
import { type NumberListPlan, numberListPlan } from "./number-list-plan.js";

/**
 * Copies the number lists of a decoded message into arrays of unboxed doubles.
 *
 * protobuf-es makes every list field from one array literal, so once any list has held a message,
 * V8 gives all of them generic elements, and a `repeated float` keeps each number as its own heap
 * object: 153,600 of them in a page of 100 memories with 1536-float embeddings. Held across
 * concurrent calls, those cost more in garbage collection than decoding does. After the copy the
 * boxes die young, which the collector handles cheaply.
 */
export function unboxNumberLists(schema: DescMessage, message: object): void {
  const plan = numberListPlan(schema);
  if (plan) unbox(plan, message as Record<string, unknown>);
}

function unbox(plan: NumberListPlan, message: Record<string, unknown>): void {
  for (const { name } of plan.numberLists) {
    const boxed = message[name] as number[];
    if (boxed.length > 0) message[name] = unboxedCopy(boxed);
  }
  for (const { name, list, plan: childPlan } of plan.children) {
    const value = message[name];
    if (value === undefined) continue;
    if (!list) {
      unbox(childPlan, value as Record<string, unknown>);
      continue;
    }
    for (const item of value as Record<string, unknown>[]) unbox(childPlan, item);
  }
}

/** An array V8 stores as raw doubles: `new Array(n)` filled with numbers is one. */
export function unboxedCopy(numbers: readonly number[]): number[] {
  const copy = new Array<number>(numbers.length);
  for (let i = 0; i < numbers.length; i++) copy[i] = numbers[i] as number;
  return copy;
}
