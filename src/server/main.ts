// `npm run serve`: both reference services on the ports of SESSIONS_SERVICE_URL and
// MEMORY_SERVICE_URL, with SQLite data in CONTEXTIQ_DATA_DIR, until SIGINT or SIGTERM.
import { resolve } from "node:path";
import { readServeEnvironment } from "./environment.js";
import { startServices } from "./start-services.js";

async function main(): Promise<void> {
  const env = readServeEnvironment();
  if (env.memory.host !== env.sessions.host) {
    throw new Error(
      `SESSIONS_SERVICE_URL and MEMORY_SERVICE_URL name different hosts (${env.sessions.host}, ${env.memory.host}); both services run in this one process, so give them the same host`,
    );
  }
  const services = await startServices({
    dataDir: env.dataDir,
    host: env.sessions.host,
    sessionsPort: env.sessions.port,
    memoryPort: env.memory.port,
    apiKeys: env.apiKeys,
  });
  console.log(`Sessions service: ${services.sessionsUrl}  (contextiq.sessions.v1.SessionsService)`);
  console.log(`Memory service:   ${services.memoryUrl}  (contextiq.memory.v1.MemoryService)`);
  console.log("  protocols: Connect (JSON, binary), gRPC, gRPC-Web; HTTP/1.1 and cleartext HTTP/2");
  console.log(`  data: ${resolve(env.dataDir)} (SQLite)`);
  console.log(
    `  auth: ${env.apiKeys.length > 0 ? `API key required (${env.apiKeys.length} configured)` : "off (set CONTEXTIQ_API_KEYS to require one)"}`,
  );
  console.log("  health: GET /health, grpc.health.v1.Health; Ctrl-C stops");

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    console.log(`${signal}: draining in-flight calls, then closing the stores`);
    services.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("shutdown failed:", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  const { code, message } = error as { code?: string; message?: string };
  console.error(
    code === "EADDRINUSE"
      ? `cannot listen: ${message}. Another server is using the port; stop it or set SESSIONS_SERVICE_URL / MEMORY_SERVICE_URL to free ports.`
      : `cannot start the services: ${message ?? String(error)}`,
  );
  process.exit(1);
});
