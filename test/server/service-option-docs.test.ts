// The doc comments of the services' options, read as text, say what the service option table does:
// the limits (ServiceLimitOptions, which ServeOptions and StartServicesOptions extend) give their
// default and the variable of `contextiq serve`; the ports their default.
import { describe, expect, it } from "vitest";
import { serviceOptionEntries } from "../../src/server/service-option-table.js";
import { defaultPhrases, documentedDefault, memberDocs } from "../support/doc-comments.js";

const limitOptions = memberDocs("src/server/serve/service-limit-options.ts", "ServiceLimitOptions");
const serveOptions = memberDocs("src/server/serve/serve.ts", "ServeOptions");
const startServicesOptions = memberDocs("src/server/start-services.ts", "StartServicesOptions");
const inLimits = serviceOptionEntries.filter((entry) => limitOptions.has(entry.path));
const inServe = serviceOptionEntries.filter((entry) => serveOptions.has(entry.path));
const inStartServices = serviceOptionEntries.filter((entry) =>
  startServicesOptions.has(entry.path),
);

describe("the services' option docs", () => {
  it("cover every option of the table, the limits once for both", () => {
    for (const entry of serviceOptionEntries) {
      const places = [inLimits, inServe, inStartServices].filter((p) => p.includes(entry));
      expect(places.length > 0, entry.path).toBe(true);
      if (entry.variable !== undefined) expect(places, entry.path).toEqual([inLimits]);
    }
  });

  it.each([
    ...inLimits.map((entry) => ({ where: "ServiceLimitOptions", docs: limitOptions, entry })),
    ...inServe.map((entry) => ({ where: "ServeOptions", docs: serveOptions, entry })),
    ...inStartServices.map((entry) => ({
      where: "StartServicesOptions",
      docs: startServicesOptions,
      entry,
    })),
  ])("give the table's default of $entry.path in $where", ({ docs, entry }) => {
    const documented = documentedDefault(docs.get(entry.path) ?? "") ?? "(none said)";
    const phrases = defaultPhrases(entry.kind.name, entry.default);
    // "Defaults to 0, an ephemeral port." says more after the value.
    expect(
      phrases.some((phrase) => documented === phrase || documented.startsWith(`${phrase},`)),
      `"${documented}" is not one of ${phrases.join(" | ")}`,
    ).toBe(true);
  });

  it.each(inLimits.filter((entry) => entry.variable !== undefined))(
    "name $variable for $path, with its unit",
    (entry) => {
      const doc = limitOptions.get(entry.path) ?? "";
      const unit = entry.kind.name === "duration" ? ", in seconds," : "";
      expect(doc).toContain(`\`${entry.variable}\`${unit} for \`contextiq serve\``);
    },
  );
});
