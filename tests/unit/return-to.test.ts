import { describe, expect, it } from "vitest";
import { RETURN_TO_MAX_LENGTH, returnPath, signInPath } from "@/lib/auth/return-to";

describe("where sign-in sends someone back to", () => {
  it("keeps a dashboard path with its query and fragment", () => {
    expect(returnPath("/flags/messaging-v2")).toBe("/flags/messaging-v2");
    expect(returnPath("/flags?owner=me&state=on#list")).toBe("/flags?owner=me&state=on#list");
    expect(returnPath("/rollouts/abc/phases/2/approve")).toBe("/rollouts/abc/phases/2/approve");
  });

  it("drops the query Next adds to a client-side navigation, and keeps the rest", () => {
    expect(returnPath("/overview?_rsc=1x2y")).toBe("/overview");
    expect(returnPath("/flags?owner=me&_rsc=abc")).toBe("/flags?owner=me");
  });

  it.each([
    ["another site, scheme-relative", "//evil.example/flags"],
    ["another site, with a backslash browsers read as a slash", "/\\evil.example"],
    ["another site, backslashes only", "\\\\evil.example"],
    ["an absolute URL", "https://evil.example/flags"],
    ["a script", "javascript:alert(1)"],
    ["a tab a browser would strip", "/\t/evil.example"],
    ["a newline", "/flags\n//evil.example"],
    ["a relative path", "flags"],
    ["nothing", ""],
    ["sign-in itself (a loop)", "/sign-in"],
    ["a sign-in page", "/sign-in/no-access"],
    ["the root, where sign-in goes anyway", "/"],
    ["an API answer", "/api/v1/flags"],
    ["the evaluation API", "/ofrep/v1/evaluate/flags"],
    ["a build file", "/_next/static/chunks/main.js"],
    ["something too long", `/flags/${"a".repeat(RETURN_TO_MAX_LENGTH)}`],
  ])("ignores %s", (_, raw) => {
    expect(returnPath(raw)).toBeNull();
  });

  it("ignores what is not one string (a repeated query parameter, a form without the field)", () => {
    expect(returnPath(["/flags", "/overview"])).toBeNull();
    expect(returnPath(null)).toBeNull();
    expect(returnPath(undefined)).toBeNull();
  });

  it("builds the sign-in URL that remembers the page, and the plain one when there is none", () => {
    expect(signInPath("/flags/messaging-v2?env=production")).toBe("/sign-in?next=%2Fflags%2Fmessaging-v2%3Fenv%3Dproduction");
    expect(signInPath("/")).toBe("/sign-in");
    expect(signInPath("//evil.example")).toBe("/sign-in");
    expect(signInPath(null)).toBe("/sign-in");
  });
});
