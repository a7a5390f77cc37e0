import { describe, expect, it } from "vitest";
import { isPrivateAddress, publicOnlyLookup } from "@/lib/notifications/private-networks";

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.10",
    "169.254.169.254", // cloud instance metadata
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.251",
    "255.255.255.255",
    "::1",
    "[::1]",
    "::",
    "fd00::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:a9fe:a9fe",
    "64:ff9b::10.0.0.1",
    "::127.0.0.1",
    "::a9fe:a9fe",
    "64:ff9b:1::a00:1",
  ])("refuses %s", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "not an address", "localhost"])(
    "lets %s through (a name is checked once resolved)",
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );
});

describe("publicOnlyLookup", () => {
  it("refuses a name that resolves to a loopback address, without saying which address", async () => {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup("localhost", {}, (e) => resolve(e)));
    expect(err?.code).toBe("ERR_PRIVATE_ADDRESS");
    expect(err?.message).toBe(
      "refused: localhost resolves to a private or local address; the operator can allow them with ROLLGATE_WEBHOOK_PRIVATE_NETWORKS=allow",
    );
  });
});
