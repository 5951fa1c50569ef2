#!/usr/bin/env node
// The `contextiq` command: run with `tsx src/cli/main.ts ...` or, compiled, `node dist/src/cli/main.js`.
import { runCli } from "./run.js";

// `contextiq memories list ... | head -1`: a reader that stops early is not a failure to report.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit();
});

// exitCode, not exit(): stdout may still be flushing into a pipe. The clients are closed by then,
// so nothing keeps the process alive.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
