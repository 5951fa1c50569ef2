// The doc comments of ServeOptions and StartServicesOptions, read as text, say what the service
// option table does: each option's default and, for startServices, the variable of `contextiq serve`.
import { describe, expect, it } from "vitest";
import { serviceOptionEntries } from "../../src/server/service-option-table.js";
import { defaultPhrases, documentedDefault, memberDocs } from "../support/doc-comments.js";

const serveOptions = memberDocs("src/server/serve/serve.ts", "ServeOptions");
const startServicesOptions = memberDocs("src/server/start-services.ts", "StartServicesOptions");
const inServe = serviceOptionEntries.filter((entry) => serveOptions.has(entry.path));
const inStartServices = serviceOptionEntries.filter((entry) =>
  startServicesOptions.has(entry.path),
);

describe("the services' option docs", () => {
  it("cover every option of the table, the limits in both", () => {
    for (const entry of serviceOptionEntries) {
      expect(inServe.includes(entry) || inStartServices.includes(entry), entry.path).toBe(true);
      if (entry.variable !== undefined) {
        expect(inServe.includes(entry) && inStartServices.includes(entry), entry.path).toBe(true);
      }
    }
  });

  it.each([
    ...inServe.map((entry) => ({ where: "ServeOptions", docs: serveOptions, entry })),
    ...inStartServices.map((entry) => ({
      where: "StartServicesOptions",
      docs: startServicesOptions,
      entry,
    })),
  ])("give the table's default of $where.$entry.path", ({ docs, entry }) => {
    const documented = documentedDefault(docs.get(entry.path) ?? "") ?? "(none said)";
    const phrases = defaultPhrases(entry.kind.name, entry.default);
    // "Defaults to 0, an ephemeral port." says more after the value.
    expect(
      phrases.some((phrase) => documented === phrase || documented.startsWith(`${phrase},`)),
      `"${documented}" is not one of ${phrases.join(" | ")}`,
    ).toBe(true);
  });

  it.each(inStartServices.filter((entry) => entry.variable !== undefined))(
    "name $variable for startServices' $path, with its unit",
    (entry) => {
      const doc = startServicesOptions.get(entry.path) ?? "";
      const unit = entry.kind.name === "duration" ? ", in seconds," : "";
      expect(doc).toContain(`\`${entry.variable}\`${unit} for \`contextiq serve\``);
    },
  );
});
