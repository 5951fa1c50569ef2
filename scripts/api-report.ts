/**
 * The API report: every export of each entry point of the package, with its signature, read from
 * the built declarations (dist/) by API Extractor and written to api/<entry>.api.md. CI runs
 * `npm run api:check`, which fails when the surface differs from the committed report, so a change
 * to the API shows up as a reviewed diff; `npm run api:update` accepts it.
 *
 *   tsx scripts/api-report.ts [--update]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Extractor, ExtractorConfig, ExtractorLogLevel } from "@microsoft/api-extractor";

const root = join(import.meta.dirname, "..");
const update = process.argv.includes("--update");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, string | { types?: string }>;
};

/** "." → "clients", "./server" → "server": the report's file name. */
const reportName = (entry: string) => (entry === "." ? "clients" : entry.slice(2));

const scratch = mkdtempSync(join(tmpdir(), "api-report-"));
const problems: string[] = [];
try {
  for (const [entry, target] of Object.entries(manifest.exports)) {
    if (typeof target === "string" || target.types === undefined) continue;
    const name = reportName(entry);
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: root,
        mainEntryPointFilePath: join(root, target.types),
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              module: "nodenext",
              moduleResolution: "nodenext",
              target: "es2022",
              lib: ["es2023", "esnext.disposable"],
              types: ["node"],
              strict: true,
              skipLibCheck: true,
            },
            files: [join(root, target.types)],
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: name,
          reportFolder: join(root, "api"),
          reportTempFolder: scratch,
          // A type the API uses but no entry point exports is listed in the report, not hidden.
          includeForgottenExports: true,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
          extractorMessageReporting: {
            default: { logLevel: ExtractorLogLevel.None, addToApiReportFile: true },
            // Release tags (@public, @beta) are not used here: every export is public.
            "ae-missing-release-tag": {
              logLevel: ExtractorLogLevel.None,
              addToApiReportFile: false,
            },
            // Listed with file and line, so any edit of a declaration file would move them.
            "ae-undocumented": { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
          },
          tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        },
      },
      configObjectFullPath: undefined,
      packageJsonFullPath: join(root, "package.json"),
    });
    const result = Extractor.invoke(config, { localBuild: update, messageCallback: quiet });
    const file = `api/${name}.api.md`;
    if (result.apiReportChanged && !update) {
      problems.push(`${file} (${entry}): the surface differs from the committed report`);
    } else if (!result.succeeded && !result.apiReportChanged) {
      problems.push(`${file} (${entry}): API Extractor failed (${result.errorCount} errors)`);
    } else {
      console.log(`${file}: ${result.apiReportChanged ? "updated" : "unchanged"}`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(
    "The package's API changed. Review the change, then run `npm run api:update` and commit api/.",
  );
  process.exit(1);
}

/** API Extractor's own progress lines; warnings and errors still print. */
function quiet(message: { logLevel: ExtractorLogLevel; handled: boolean }): void {
  if (
    message.logLevel === ExtractorLogLevel.Info ||
    message.logLevel === ExtractorLogLevel.Verbose
  ) {
    message.handled = true;
  }
}
