/** Paths the harness needs, independent of the directory it is started from. */
import { fileURLToPath } from "node:url";

/**
 * Whether this is the harness compiled into .bench-build/ (`npm run bench`) rather than run from
 * source by tsx.
 */
export const compiled = import.meta.url.endsWith(".js");

/** The folder that holds bench/, src/ and gen/ as they run: the repository or .bench-build/. */
export const codeRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The repository's root folder. */
export const repoRoot = compiled ? fileURLToPath(new URL("../", `file://${codeRoot}`)) : codeRoot;

/** Where results go unless --out says otherwise. */
export const defaultOutDir = fileURLToPath(new URL("bench/results/", `file://${repoRoot}`));

/** The harness's documentation, which latest.md links to. */
export const benchReadme = fileURLToPath(new URL("bench/README.md", `file://${repoRoot}`));
