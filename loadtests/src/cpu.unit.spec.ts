import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isJvm, jitTicks } from "./cpu.ts";

/** A /proc of one process: its comm and its threads' stat lines (utime, stime in fields 14-15). */
function fakeProc(comm: string, threads: [string, number, number][]): { root: string; pid: number } {
  const root = mkdtempSync(join(tmpdir(), "proc-"));
  const pid = 4242;
  mkdirSync(join(root, String(pid), "task"), { recursive: true });
  writeFileSync(join(root, String(pid), "comm"), `${comm}\n`);
  threads.forEach(([name, utime, stime], i) => {
    const tid = pid + i;
    mkdirSync(join(root, String(pid), "task", String(tid)));
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    writeFileSync(
      join(root, String(pid), "task", String(tid), "stat"),
      `${tid} (${name}) S 1 ${pid} ${pid} 0 -1 4194560 10 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 100 0 0\n`,
    );
  });
  roots.push(root);
  return { root, pid };
}
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

describe("a JVM's JIT compiler threads", () => {
  it("adds the CPU ticks of HotSpot's C1 and C2 compiler threads and of no other thread", () => {
    const { root, pid } = fakeProc("java", [
      ["java", 5, 1],
      ["C2 CompilerThre", 300, 12],
      ["C1 CompilerThre", 40, 2],
      ["data-plane-kafk", 700, 90],
      // A thread name with a space and a parenthesis is read from the last ")".
      ["GC Thread) #0", 9, 9],
    ]);
    expect(jitTicks(pid, root)).toBe(354);
  });

  it("gives nothing for a process that is no JVM, one with no compiler thread, or one gone", () => {
    // Only a JVM's threads are read: the sampler asks isJvm first (once per pid).
    const node = fakeProc("node", [["C2 CompilerThre", 1, 1]]);
    expect(isJvm(node.pid, node.root)).toBe(false);
    const bare = fakeProc("java", [["java", 1, 1]]);
    expect(isJvm(bare.pid, bare.root)).toBe(true);
    expect(jitTicks(bare.pid, bare.root)).toBeUndefined();
    expect(isJvm(999_999, bare.root)).toBe(false);
    expect(jitTicks(999_999, bare.root)).toBeUndefined();
  });
});
