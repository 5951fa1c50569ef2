import { defineConfig } from "vitest/config";

/**
 * Two groups, one after the other. The fleet suites (test/fleet) start three replicas and
 * PostgreSQL load of their own and compare the shares of calls each replica serves: they run
 * last, one file at a time, so that the other suites' load does not decide which replica looks
 * slow. Every other suite runs in parallel, as before.
 */
export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "suites",
          include: ["test/**/*.test.ts", "src/**/*.test.ts"],
          exclude: ["test/fleet/**"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "fleet",
          include: ["test/fleet/**/*.test.ts"],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
        },
      },
    ],
  },
});
