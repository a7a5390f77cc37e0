import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { writeOrDrop } from "../../lib/server/data-plane/http-utils";

function fakeResponse(writableLength: number) {
  const written: string[] = [];
  const res = {
    destroyed: false,
    writableLength,
    write: (c: string) => written.push(c),
    destroy() {
      this.destroyed = true;
    },
  };
  return { res, written };
}

describe("writeOrDrop", () => {
  it("writes while the client keeps up", () => {
    const { res, written } = fakeResponse(1024);
    writeOrDrop(res as unknown as ServerResponse, "data");
    expect(written).toEqual(["data"]);
    expect(res.destroyed).toBe(false);
  });

  it("closes a stream whose client stopped reading instead of buffering more", () => {
    const { res, written } = fakeResponse(5 * 1024 * 1024);
    writeOrDrop(res as unknown as ServerResponse, "data");
    expect(written).toEqual([]);
    expect(res.destroyed).toBe(true);
    writeOrDrop(res as unknown as ServerResponse, "more");
    expect(written).toEqual([]);
  });
});
