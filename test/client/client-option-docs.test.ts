// The doc comments of ClientOptions (and of the settings objects of its features), read as text,
// say what the client option table does: each option's variable, its unit, and its default.
import { describe, expect, it } from "vitest";
import { clientOptionEntries } from "../../src/client/client-option-table.js";
import { MemoryServiceClient, SessionsServiceClient } from "../../src/index.js";
import { defaultPhrases, documentedDefault, memberDocs } from "../support/doc-comments.js";

const clientOptions = memberDocs("src/client/client-options.ts", "ClientOptions");

/** Where the settings of each feature are documented, field by field. */
const featureDocs: Record<string, Map<string, string>> = {
  tls: memberDocs("src/client/client-options.ts", "ClientTlsOptions"),
  circuitBreaker: memberDocs("src/policy/circuit-breaker.ts", "CircuitBreakerOptions"),
  retryBudget: memberDocs("src/policy/retry-budget.ts", "RetryBudgetOptions"),
  hedging: memberDocs("src/policy/hedging.ts", "HedgingOptions"),
  readCache: memberDocs("src/policy/read-cache.ts", "ReadCacheOptions"),
  outlierDetection: memberDocs("src/balancer/outlier-detector.ts", "OutlierDetectionOptions"),
  healthCheck: memberDocs("src/balancer/health-checker.ts", "HealthCheckOptions"),
};

/** Options that take no checked value: code, and where variables are read. */
const notInTable = [
  "interceptors",
  "openTelemetry",
  "onCall",
  "onRetry",
  "onGiveUp",
  "env",
  "resolver",
];

const feature = (path: string) => path.split(".")[0] ?? "";
const tableVariables = (option: string) =>
  clientOptionEntries
    .filter((entry) => feature(entry.path) === option && entry.variable !== undefined)
    .map((entry) => `*_SERVICE_${entry.variable}`);

describe("the ClientOptions doc comments", () => {
  it("document every option, and the table knows every one that takes a value", () => {
    const inTable = new Set(clientOptionEntries.map((entry) => feature(entry.path)));
    expect([...clientOptions.keys()].sort()).toEqual([...inTable, ...notInTable].sort());
  });

  it.each([...clientOptions.keys()])("name the variables the table has for %s", (option) => {
    const named = [...(clientOptions.get(option) ?? "").matchAll(/`(\*_SERVICE_\w+)`/g)].map(
      ([, variable]) => variable,
    );
    expect(named.sort()).toEqual(tableVariables(option).sort());
  });

  it.each(clientOptionEntries.filter((entry) => entry.kind.name === "duration" && entry.variable))(
    "say that $variable is in seconds",
    (entry) => {
      const doc = clientOptions.get(feature(entry.path)) ?? "";
      expect(doc).toMatch(
        new RegExp(`\`\\*_SERVICE_${entry.variable}\`(, in seconds| \\(seconds\\))`),
      );
    },
  );

  it.each(clientOptionEntries.filter((entry) => entry.path !== "baseUrl"))(
    "give the table's default of $path",
    (entry) => {
      const [option = "", field] = entry.path.split(".");
      const docs = field === undefined ? clientOptions : featureDocs[option];
      const doc = docs?.get(field ?? option);
      expect(doc, `no doc comment for ${entry.path}`).toBeDefined();
      const documented = documentedDefault(doc ?? "");
      if (entry.default === true) {
        // A feature on by default describes its default settings instead.
        expect(documented).not.toBe("off");
      } else if (entry.default === undefined && documented === undefined) {
        // A setting its feature cannot go without, or none at all, may go unsaid.
      } else {
        expect(defaultPhrases(entry.kind.name, entry.default)).toContain(documented);
      }
    },
  );

  it("give each service's default URL", async () => {
    await using sessions = new SessionsServiceClient({ env: {} });
    await using memory = new MemoryServiceClient({ env: {} });
    expect(documentedDefault(clientOptions.get("baseUrl") ?? "")).toBe(
      `"${sessions.options.baseUrl}" for Sessions and "${memory.options.baseUrl}" for Memory`,
    );
  });
});
