import { describe, expect, it } from "vitest";
import { isPostmasterOf } from "../../lib/db/postmaster-recovery";
import { durabilityFlags } from "../../lib/db/embedded-postgres";

describe("recognising our own orphaned PostgreSQL", () => {
  it("needs the postgres executable and this data directory", () => {
    const dir = "/srv/rollgate/.data/postgres";
    expect(isPostmasterOf(["/x/native/bin/postgres", "-D", dir, "-p", "54329"], dir)).toBe(true);
    expect(isPostmasterOf(["/x/native/bin/postgres", `-D${dir}`], dir)).toBe(true);
    expect(isPostmasterOf(["/x/native/bin/postgres", "-D", "/srv/other/postgres"], dir)).toBe(false);
    expect(isPostmasterOf(["/usr/bin/sleep", "-D", dir], dir)).toBe(false);
    expect(isPostmasterOf([], dir)).toBe(false);
  });
});

describe("embedded PostgreSQL durability flags", () => {
  it("are on unless the test-only switch is given", () => {
    expect(durabilityFlags(false)).toEqual(["-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on"]);
    expect(durabilityFlags(true)).toEqual(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
  });
});
