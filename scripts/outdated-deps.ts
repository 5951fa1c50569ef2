/**
 * `npm run deps`: the direct dependencies that have a newer release, what that release asks of
 * Node, and, for the ones held back on purpose, why. Asks the npm registry; changes nothing.
 * npm's "newest" is the newest release whose `engines` admit the Node running this script.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Held back on purpose: the release line kept, and why. Check again when we move past Node 20. */
const heldBack: Record<string, string> = {
  "@connectrpc/connect":
    "connect-node 2.2+ declares Node >= 22 (connect-es dropped Node 20 at its end of life); connect must match connect-node",
  "@connectrpc/connect-node": "2.2+ declares Node >= 22; we run and support Node 20",
  "better-sqlite3": "13.x needs Node >= 22: on Node 20 it installs, then crashes the process",
  cockatiel: "4.x declares Node >= 22",
  commander: "15.x declares Node >= 22.12",
  vitest: "5.x needs Node >= 22.12",
  "@types/node": "follows the Node we run (20.x), not the newest Node",
  "@types/better-sqlite3": "the 7.x types describe better-sqlite3 12; 9.x is written for 13",
  "@opentelemetry/api": "1.10 is outside the peer range of @opentelemetry/core 2.x (< 1.10)",
  "@opentelemetry/core": "3.x declares Node >= 22.15",
  "@opentelemetry/sdk-metrics": "3.x declares Node >= 22.15",
  "@opentelemetry/context-async-hooks": "3.x declares Node >= 22.15",
};

/** Newer than npm's engine-aware "newest" on purpose, and why. */
const ahead: Record<string, string> = {
  "@bufbuild/protoc-gen-es":
    "2.14+ declares Node >= 22, but it only runs at build time (buf generate, which CI runs on Node 20) and is kept in step with @bufbuild/protobuf, whose 2.14 line rewrote the binary writer",
};

interface Outdated {
  current?: string;
  wanted: string;
  latest: string;
}

async function outdated(): Promise<Record<string, Outdated>> {
  // npm outdated exits with 1 when anything is outdated; its JSON is on stdout either way.
  const result = await run("npm", ["outdated", "--json"]).catch(
    (error: { stdout?: string }) => error,
  );
  return JSON.parse(result.stdout || "{}") as Record<string, Outdated>;
}

async function nodeRange(name: string, version: string): Promise<string> {
  const { stdout } = await run("npm", ["view", `${name}@${version}`, "engines.node"]);
  return stdout.trim() || "any";
}

const entries = Object.entries(await outdated()).sort(([a], [b]) => a.localeCompare(b));
if (entries.length === 0) {
  console.log("Every direct dependency is on its newest release.");
} else {
  const rows = await Promise.all(
    entries.map(async ([name, { current, wanted, latest }]) => {
      const node = await nodeRange(name, latest);
      const note =
        heldBack[name] ?? ahead[name] ?? (current === wanted ? "update the range" : "npm update");
      return `${name}  ${current ?? "missing"} (range allows ${wanted}, newest ${latest}, Node ${node}): ${note}`;
    }),
  );
  console.log(rows.join("\n"));
}
