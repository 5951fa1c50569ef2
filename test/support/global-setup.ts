// Runs once before the test files: says up front which suites will be skipped, and why.
import { skippedWithoutDatabase, testDatabaseUrl } from "./test-database.js";

export default function announceSkips(): void {
  if (testDatabaseUrl === undefined) {
    console.warn(`\nThe PostgreSQL suites are skipped: ${skippedWithoutDatabase}\n`);
  }
}
