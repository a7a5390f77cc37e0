import { describe, expect, it } from "vitest";
import { groupBy } from "../../lib/domain/group-by";

describe("groupBy", () => {
  it("puts rows in groups by key, each group in the rows' order, keys in order of first appearance", () => {
    const rows = [
      { k: 2, v: "a" },
      { k: 1, v: "b" },
      { k: 2, v: "c" },
    ];
    const groups = groupBy(rows, (r) => r.k);
    expect([...groups.keys()]).toEqual([2, 1]);
    expect(groups.get(2)!.map((r) => r.v)).toEqual(["a", "c"]);
    expect(groups.get(1)!.map((r) => r.v)).toEqual(["b"]);
    expect(groups.get(3)).toBeUndefined();
  });

  it("gives no groups for no rows", () => {
    expect(groupBy([], (r: number) => r).size).toBe(0);
  });
});
