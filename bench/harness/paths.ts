/** Paths the harness needs, independent of the directory it is started from. */
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Where results go unless --out says otherwise. */
export const defaultOutDir = fileURLToPath(new URL("../results/", import.meta.url));

/** The harness's documentation, which latest.md links to. */
export const benchReadme = fileURLToPath(new URL("../README.md", import.meta.url));
