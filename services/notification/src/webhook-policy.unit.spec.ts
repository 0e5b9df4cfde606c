import { describe, expect, it } from "vitest";
import { classifyAddress, judgeAddress, parseAllowList } from "./webhook-policy.ts";
import { createSecretBox, parseSecretKey } from "./secret-box.ts";

const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, "");

describe("webhook policy: address classes", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/", "metadata"],
    ["http://0xa9fea9fe/", "metadata"],
    ["http://2852039166/", "metadata"],
    ["http://0251.0376.0251.0376/", "metadata"],
    ["http://[::ffff:169.254.169.254]/", "metadata"],
    ["http://[fd00:ec2::254]/", "metadata"],
    ["http://[fe80::1]/", "link-local"],
    ["http://169.254.1.1/", "link-local"],
    ["http://127.0.0.1:9090/-/quit", "loopback"],
    ["http://127.1/", "loopback"],
    ["http://0x7f000001/", "loopback"],
    ["http://[::1]/", "loopback"],
    ["http://[::ffff:7f00:1]/", "loopback"],
    ["http://[::127.0.0.1]/", "loopback"],
    ["http://[64:ff9b::7f00:1]/", "loopback"],
    ["http://[2002:7f00:1::]/", "loopback"],
    ["http://10.1.2.3/", "private"],
    ["http://172.31.255.255/", "private"],
    ["http://192.168.1.1/", "private"],
    ["http://[fd12:3456::1]/", "private"],
    ["http://100.64.0.1/", "cgnat"],
    ["http://224.0.0.1/", "multicast"],
    ["http://[ff02::1]/", "multicast"],
    ["http://0.0.0.0/", "unspecified"],
    ["http://[::]/", "unspecified"],
    ["http://192.0.2.10/", "reserved"],
    ["http://255.255.255.255/", "reserved"],
    ["http://93.184.215.14/", "public"],
    ["http://[2606:4700::1111]/", "public"],
  ])("%s is %s", (url, expected) => {
    expect(classifyAddress(hostOf(url))).toBe(expected);
  });
});

describe("webhook policy: the allow-list", () => {
  it("admits a refused class only through a CIDR or a host:port that names it", () => {
    const list = parseAllowList("127.0.0.0/8, ::1/128, hooks.internal:8443, 10.0.0.5:80");
    expect(judgeAddress(list, "127.0.0.1", 9090, "127.0.0.1").admitted).toBe(true);
    expect(judgeAddress(list, "::ffff:127.0.0.1", 80, "::ffff:127.0.0.1").admitted).toBe(true);
    expect(judgeAddress(list, "::1", 80, "0:0::1").admitted).toBe(true);
    expect(judgeAddress(list, "hooks.internal", 8443, "10.9.9.9").admitted).toBe(true);
    expect(judgeAddress(list, "hooks.internal", 8080, "10.9.9.9")).toMatchObject({
      admitted: false,
      reason: "10.9.9.9 is a private address",
    });
    expect(judgeAddress(list, "x.example", 80, "10.0.0.5").admitted).toBe(true);
    expect(judgeAddress(list, "x.example", 81, "10.0.0.5").admitted).toBe(false);
    expect(judgeAddress(list, "m", 80, "169.254.169.254")).toMatchObject({
      admitted: false,
      class: "metadata",
    });
    expect(judgeAddress(parseAllowList(""), "example.com", 443, "93.184.215.14").admitted).toBe(true);
  });

  it("refuses an entry that is neither a CIDR nor host:port", () => {
    expect(() => parseAllowList("127.0.0.0/33")).toThrow(/neither/);
    expect(() => parseAllowList("hooks.internal")).toThrow(/neither/);
  });
});

describe("webhook secrets at rest", () => {
  const box = createSecretBox(parseSecretKey("ab".repeat(32)));
  it("seals a secret that opens only for its own subscription and key", () => {
    const sealed = box.seal("whsec-0123456789abcdef", "sub-1");
    expect(sealed).not.toContain("whsec");
    expect(box.open(sealed, "sub-1")).toBe("whsec-0123456789abcdef");
    expect(() => box.open(sealed, "sub-2")).toThrow();
    const other = createSecretBox(parseSecretKey("cd".repeat(32)));
    expect(() => other.open(sealed, "sub-1")).toThrow(/sealed with key/);
    expect(() => parseSecretKey("short")).toThrow(/32 bytes/);
  });
});
