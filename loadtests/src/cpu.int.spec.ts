import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CpuSampler, isJvm, jitTicks, partPid } from "./cpu.ts";
import { eventscopeHome } from "./run/setup.ts";

// The sampler against the native infrastructure the tests run on: the broker is a real JVM, so
// its compiler threads are found and sampled as `kafka JIT`, a share of `kafka`. The pid files are
// where the stack keeps them (EVENTSCOPE_HOME: CI moves it out of a private checkout).
const runDir = join(eventscopeHome(), "run");
const kafkaPid = partPid(runDir, "kafka") ?? 0;

// Under TEST_INFRA=testcontainers the broker is a container: no pid of it on this machine.
describe.runIf(kafkaPid > 0)("the JIT share of the native broker's CPU", () => {
  it("finds the broker's compiler threads, and none in this Node process", () => {
    expect(isJvm(kafkaPid)).toBe(true);
    expect(isJvm(process.pid)).toBe(false);
    const ticks = jitTicks(kafkaPid);
    expect(ticks).toBeTypeOf("number");
    // A broker that answered the tests' requests has compiled code: its compiler has run.
    expect(ticks!).toBeGreaterThan(0);
    expect(jitTicks(process.pid)).toBeUndefined();
  });

  it("samples it as `kafka JIT` beside `kafka`, never above it", async () => {
    const sampler = new CpuSampler(runDir);
    sampler.start(100);
    await new Promise((r) => setTimeout(r, 1200));
    sampler.stop();
    const kafka = sampler.series.get("kafka") ?? [];
    const jit = sampler.series.get("kafka JIT") ?? [];
    expect(kafka.length).toBeGreaterThan(5);
    expect(jit.length).toBe(kafka.length);
    const sum = (points: [number, number][]) => points.reduce((a, [, v]) => a + v, 0);
    // The compiler threads' ticks are read a moment after the process's in each sample, and a
    // tick (10 ms) is 10 % of a core over a 100 ms sample: on a broker doing little but compile,
    // the two sums may differ by the ticks that fell in between. Two ticks' worth, no more.
    expect(sum(jit)).toBeLessThanOrEqual(sum(kafka) + 20);
    // Not a part of the stack beside the others: the services' names only.
    expect([...sampler.series.keys()].filter((n) => n.endsWith(" JIT"))).toEqual(["kafka JIT"]);
  });
});
