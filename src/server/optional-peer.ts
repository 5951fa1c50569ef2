import { createRequire } from "node:module";

/**
 * The server's native and database modules are optional peer dependencies: a client-only install
 * leaves them out, so the server loads them only when a store needs them, and says what to install
 * when one is missing instead of Node's "Cannot find package".
 */
export const optionalPeers: Readonly<
  Record<OptionalPeer, { readonly range: string; readonly neededFor: string }>
> = {
  "better-sqlite3": { range: "^12.11.1", neededFor: "the SQLite store (the default)" },
  pg: { range: "^8.23.1", neededFor: "the PostgreSQL store (DATABASE_URL, `database`)" },
  "sqlite-vec": { range: "^0.1.9", neededFor: "SearchMemories on the SQLite store" },
};

/** The optional peer dependencies of the reference services. */
export type OptionalPeer = "better-sqlite3" | "pg" | "sqlite-vec";

/** An optional peer dependency that a store needs is not installed. */
export class MissingPeerDependencyError extends Error {
  override name = "MissingPeerDependencyError";

  constructor(
    /** The npm package to install. */
    readonly packageName: OptionalPeer,
    cause: unknown,
  ) {
    const { range, neededFor } = optionalPeers[packageName];
    super(
      `${neededFor} needs the package ${packageName}, which is not installed: run \`npm install ${packageName}@${range}\`. It is an optional peer dependency of @contextiq/clients, which client-only installs leave out.`,
      { cause },
    );
  }
}

const require = createRequire(import.meta.url);

/** Loads `name` (a CommonJS module) or throws MissingPeerDependencyError when it is not installed. */
export function requireOptionalPeer<T>(name: OptionalPeer): T {
  try {
    return require(name) as T;
  } catch (error) {
    // Only the package itself missing: a broken install of it (a native binding built for another
    // Node) keeps its own error, which says more.
    const { code, message } = error as { code?: string; message?: string };
    if (code === "MODULE_NOT_FOUND" && message?.includes(`'${name}'`)) {
      throw new MissingPeerDependencyError(name, error);
    }
    throw error;
  }
}
