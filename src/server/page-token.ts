import { createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "../util/canonical-json.js";
import type { Listed, PageRequest } from "./store/store.js";
import { invalidArgument } from "./validation/violations.js";

/** Where the next page starts: the sort key of the last item served, as the store defines it. */
export type Cursor = readonly (string | number)[];

/**
 * The most a page's items may add up to as JSON: under the 4 MiB that clients commonly accept,
 * with room for the rest of the response (see item-size.ts for binary).
 */
export const maxPageBytes = 2.5 * 1024 * 1024;

/** How long a page token stays valid. */
const maxAgeMs = 24 * 60 * 60 * 1000;

interface TokenBody {
  /** The list's filter, so that a token is refused for another filter. */
  f: string;
  /** The cursor. */
  c: Cursor;
  /** When the token was issued, in ms since the epoch. */
  t: number;
}

/**
 * Issues and reads opaque page tokens. A token carries a cursor, the filter it was issued for and
 * its age, signed with the store's key: a forged, altered, expired or other-filter token is
 * INVALID_ARGUMENT naming `page_token`, never a silently wrong page.
 */
export class PageTokens {
  constructor(
    private readonly key: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Serves one page of a list: reads `pageToken` (issued for `filter`), fetches the page after its
   * cursor, and issues the token of the next page, empty on the last one. With `sizeOf`, the page
   * ends early once its items would pass {@link maxPageBytes} (AIP-158 lets a page be shorter
   * than asked), so that it fits a client's message limit: 1,000 sessions may hold 256 KiB of
   * state each.
   */
  async page<T>(
    pageToken: string,
    filter: unknown,
    limit: number,
    fetch: (page: PageRequest) => Promise<Listed<T>>,
    sizeOf?: (item: T) => number,
  ): Promise<{ items: T[]; totalSize: number; nextPageToken: string }> {
    const listed = await fetch({ after: this.read(pageToken, filter), limit });
    const { items, totalSize } = listed;
    let { next } = listed;
    if (sizeOf !== undefined) {
      let bytes = 0;
      // At least one item, whatever its size: each is within the limit on its own.
      for (let kept = 0; kept < items.length; kept++) {
        bytes += sizeOf(items[kept] as T);
        if (bytes > maxPageBytes && kept > 0) {
          items.length = kept;
          next = listed.cursorOf(items[kept - 1] as T);
          break;
        }
      }
    }
    return { items, totalSize, nextPageToken: next ? this.issue(filter, next) : "" };
  }

  /** A token for the page after `cursor` of the list filtered by `filter`. */
  issue(filter: unknown, cursor: Cursor): string {
    const body: TokenBody = { f: canonicalJson(filter), c: cursor, t: this.now() };
    const payload = Buffer.from(JSON.stringify(body)).toString("base64url");
    return `${payload}.${this.sign(payload).toString("base64url")}`;
  }

  /** The cursor in `token`, or undefined for the first page (an empty token). */
  read(token: string, filter: unknown): Cursor | undefined {
    if (token === "") return undefined;
    const [payload = "", signature = ""] = token.split(".");
    const expected = this.sign(payload);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw refuse("was not issued by this server");
    }
    const body = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as TokenBody;
    if (body.f !== canonicalJson(filter)) {
      throw refuse("was issued for other filters: pass the same filters as for the first page");
    }
    if (this.now() - body.t > maxAgeMs) {
      throw refuse("has expired (tokens last 24 hours): start again from the first page");
    }
    return body.c;
  }

  private sign(payload: string): Buffer {
    return createHmac("sha256", this.key).update(payload).digest().subarray(0, 16);
  }
}

function refuse(why: string) {
  return invalidArgument([{ field: "page_token", description: why }]);
}
