/**
 * Server child: the reference Sessions and Memory services, each on its own port, on SQLite files
 * in the folder given as the first argument (the harness creates and removes it).
 */
import { startServices } from "../../../src/server/index.js";
import { runServerChild } from "./server-child.js";

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error("usage: reference.ts DATA_DIR");

await runServerChild(() => startServices({ dataDir, drainTimeoutMs: 1_000 }));
