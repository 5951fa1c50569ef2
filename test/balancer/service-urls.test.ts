import { describe, expect, it } from "vitest";
import { parseServiceUrls } from "../../src/balancer/service-urls.js";
import { SessionsServiceClient } from "../../src/index.js";

describe("baseUrl with several URLs", () => {
  it("reads a comma-separated list, with each URL's port or its scheme's default", () => {
    expect(
      parseServiceUrls("http://a.test:8001, http://[::1]:8001,http://b.test").map((t) => [
        t.hostname,
        t.port,
        t.authority,
      ]),
    ).toEqual([
      ["a.test", "8001", "a.test:8001"],
      ["::1", "8001", "[::1]:8001"],
      ["b.test", "80", "b.test"],
    ]);
  });

  it.each([
    ["http://a.test:8001,https://b.test:8001", /same scheme and path.*https:\/\/b\.test:8001/],
    ["http://a.test/v1,http://b.test/v2", /same scheme and path.*http:\/\/b\.test\/v2/],
    ["http://a.test,ftp://b.test", /"ftp:\/\/b\.test" is not an http/],
    ["http://a.test,b.test:8001", /"b\.test:8001" is not an http/],
    [" , ", /no URL given/],
  ])("refuses %j, naming the option and the URL at fault", (baseUrl, reason) => {
    const error = (() => {
      try {
        new SessionsServiceClient({ baseUrl, env: {} });
      } catch (e) {
        return e as Error;
      }
      throw new Error("no error");
    })();
    expect(error.message).toMatch(
      /option `baseUrl` must be an http:\/\/ or https:\/\/ URL, or several/,
    );
    expect(error.message).toMatch(reason);
  });
});
