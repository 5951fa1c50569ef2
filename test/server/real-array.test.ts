// Embeddings as the PostgreSQL store sends them: real[] in text form.
import { describe, expect, it } from "vitest";
import { realArray } from "../../src/server/store/postgres/float32.js";

describe("an embedding as a real[] parameter", () => {
  it("prints each float32 so that it reads back as the same value", () => {
    const values = Float32Array.from(
      { length: 1536 },
      (_, i) => Math.sin(i) * 10 ** ((i % 20) - 10),
    );
    const text = realArray(values);
    expect(text).toBe(`{${values.join(",")}}`);
    expect(Float32Array.from(JSON.parse(`[${text.slice(1, -1)}]`))).toEqual(values);
  });

  it("keeps Infinity, which a value past float32's range becomes, instead of writing null", () => {
    expect(realArray(Float32Array.of(1e39, -0, 0.5))).toBe("{Infinity,0,0.5}");
  });
});
