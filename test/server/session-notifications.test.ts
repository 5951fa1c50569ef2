// The LISTEN/NOTIFY feed of session changes on a real PostgreSQL: notices reach the listeners of
// their session only, and a change made while the listening connection was down is not lost: once
// it listens again, every listener is told to read again.
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connectionPool } from "../../src/server/store/postgres/connection.js";
import {
  SessionNotifications,
  sessionChannel,
} from "../../src/server/store/postgres/session-notifications.js";
import { startCuttingRelay } from "../support/cutting-relay.js";
import { describeOnPostgres, uniqueSchema } from "../support/stores.js";

describeOnPostgres("SessionNotifications", (url) => {
  const schema = uniqueSchema();
  const channel = sessionChannel(schema);
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(() => admin.end());

  /** A feed whose connections wait for `gate` to open: a database that is briefly unreachable. */
  function gatedFeed() {
    const pool = connectionPool({ url, schema, maxConnections: 1 }, "notifications-test");
    let opened: Promise<void> = Promise.resolve();
    let open = () => {};
    const gated = Object.create(pool) as pg.Pool;
    gated.connect = (async () => {
      await opened;
      return pool.connect();
    }) as pg.Pool["connect"];
    Object.defineProperty(gated, "ended", { get: () => pool.ended });
    gated.end = () => pool.end();
    const feed = new SessionNotifications(gated, channel);
    return {
      feed,
      close: () => {
        open();
        return feed.close();
      },
      shut() {
        opened = new Promise((resolve) => {
          open = resolve;
        });
      },
      open: () => open(),
    };
  }

  const notify = (session: string) => admin.query("SELECT pg_notify($1, $2)", [channel, session]);
  const listeningPids = async () =>
    (
      await admin.query(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'notifications-test' AND query = $1",
        [`LISTEN "${channel}"`],
      )
    ).rows.map((r: { pid: number }) => r.pid);

  it("tells the listeners of the session named, and only them", async () => {
    const { feed, close } = gatedFeed();
    try {
      // Listening the first time tells every listener to read again: connected before counting.
      await feed.listen("warm-up", () => {});
      const heard: string[] = [];
      await feed.listen("a", () => heard.push("a"));
      const stopB = await feed.listen("b", () => heard.push("b"));
      await notify("a");
      await until(() => heard.length >= 1);
      stopB();
      await notify("b");
      await notify("a");
      await until(() => heard.length >= 2);
      // Notices come in order on one connection: had b's been heard, it would be before the a.
      expect(heard).toEqual(["a", "a"]);
    } finally {
      await close();
    }
  });

  it("tells every listener to read again once it listens again after losing its connection", async () => {
    const { feed, close, shut, open } = gatedFeed();
    try {
      let heard = 0;
      await feed.listen("s", () => heard++);
      // Listening the first time tells everyone too; counted from here.
      const before = heard;
      const [pid] = await listeningPids();
      shut();
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await until(async () => (await listeningPids()).length === 0);
      // Made while nothing listens: no notice of it can ever arrive.
      await notify("s");
      expect(heard).toBe(before);
      open();
      await until(() => heard === before + 1);
      expect((await listeningPids()).length).toBe(1);
    } finally {
      await close();
    }
  });

  it("finds a listening connection that went silent, listens again, and tells everyone to read again", async () => {
    // The feed reaches the database through a relay that can stop passing anything back, as a
    // NAT or a proxy that forgot the connection would: no error, no close, only silence.
    const database = new URL(url);
    const relay = await startCuttingRelay(`http://${database.host}`);
    const relayed = new URL(url);
    relayed.host = new URL(relay.url).host;
    const pool = connectionPool(
      { url: relayed.toString(), schema, maxConnections: 1 },
      "notifications-test-silent",
    );
    const feed = new SessionNotifications(pool, channel, { intervalMs: 100, timeoutMs: 200 });
    try {
      let heard = 0;
      await feed.listen("s", () => heard++);
      const before = heard;
      relay.silence();
      // Gone unheard: the connection that listens passes nothing back any more.
      await notify("s");
      // Found silent by its check, made again (through the relay, anew), listening again: a read.
      await until(() => heard > before);
      expect(relay.opened()).toBeGreaterThanOrEqual(2);
    } finally {
      await feed.close();
      await relay.close();
    }
  });
});

/** Resolves once `condition` holds, checking every 20 ms; the test's timeout bounds a hang. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}
