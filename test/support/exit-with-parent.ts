// Preloaded into the services' child process by service-process.ts (`--import`): the child exits
// as soon as the test process that spawned it is gone (their IPC channel closes), so that a test
// run killed midway, which runs no afterAll, leaves no server behind.
process.on("disconnect", () => process.exit(1));
