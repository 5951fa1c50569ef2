// Preloaded into the services' child process by service-process.ts (`--import`): the child exits
// as soon as the test process that spawned it is gone (their IPC channel closes), so that a test
// run killed midway, which runs no afterAll, leaves no server behind.
process.on("disconnect", () => process.exit(1));
// The channel alone must not keep the child alive: once SIGTERM has closed the services, it exits
// by itself, as `contextiq serve` does outside the tests, rather than waiting for SIGKILL.
process.channel?.unref();
