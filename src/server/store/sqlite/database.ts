import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { requireOptionalPeer } from "../../optional-peer.js";

/** An open better-sqlite3 database. */
export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite database at `path`, or an in-memory one for ":memory:",
 * in WAL mode with foreign keys on, and brings its schema up to date: `migrations[i]` moves the
 * schema from version i to i + 1, recorded in `PRAGMA user_version`, each in one transaction.
 * `prepare` runs before the migrations, e.g. to add the functions they call.
 */
export function openDatabase(
  path: string,
  migrations: readonly string[],
  prepare: (db: Db) => void = () => {},
): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const open = requireOptionalPeer<typeof Database>("better-sqlite3");
  const db = new open(path);
  // Takes effect when the file is new. Embeddings of 1536 floats (6 KiB) fit in one 16 KiB page
  // instead of an overflow chain of 4 KiB ones, which makes reading them for a search twice as fast.
  db.pragma("page_size = 16384");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  // Another process (a second server on the same file) may hold the write lock for a moment.
  db.pragma("busy_timeout = 5000");
  try {
    prepare(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > migrations.length) {
    db.close();
    throw new Error(
      `${path} has schema version ${current}, newer than this server knows (${migrations.length}): upgrade the server`,
    );
  }
  migrations.slice(current).forEach((sql, i) => {
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${current + i + 1}`);
    }).immediate();
  });
  return db;
}

/** The schema every store shares: settings, and the results of creates by request_id. */
export const commonSchema = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
  CREATE TABLE requests (
    request_id  TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    response    BLOB NOT NULL,
    created_at  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX requests_by_age ON requests (created_at);
`;

/** The key that signs this store's page tokens, made once and kept so tokens survive restarts. */
export function pageTokenKey(db: Db): Uint8Array {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'page_token_key'").get() as
    | { value: Buffer }
    | undefined;
  if (row) return row.value;
  const key = randomBytes(32);
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('page_token_key', ?)").run(key);
  return pageTokenKey(db);
}

/**
 * Prepares each distinct SQL text once: parsing and planning cost more than running most of this
 * store's statements. The texts are a fixed set (filters vary only in how many scope entries they
 * match), so the cache stays small.
 */
export function statementCache(db: Db): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}
