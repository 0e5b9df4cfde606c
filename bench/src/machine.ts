// What the figures were measured on, and how busy the machine was while they were.
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  hostname: string;
  nproc: number;
  memoryMiB: number;
  cpuModel: string;
  kernel: string;
  node: string;
  loadAverage: number[];
}

export function machine(): Machine {
  return {
    hostname: os.hostname(),
    nproc: os.availableParallelism(),
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export interface CpuSample {
  user: number;
  system: number;
  idle: number;
  iowait: number;
  steal: number;
  total: number;
}

/** The machine-wide CPU counters of /proc/stat (zeros where it cannot be read). */
export function cpuSample(): CpuSample {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const n = (v: number | undefined) => v ?? 0;
    const total = [user, nice, system, idle, iowait, irq, softirq, steal].reduce<number>(
      (a, b) => a + n(b),
      0,
    );
    return {
      user: n(user) + n(nice),
      system: n(system) + n(irq) + n(softirq),
      idle: n(idle),
      iowait: n(iowait),
      steal: n(steal),
      total,
    };
  } catch {
    return { user: 0, system: 0, idle: 0, iowait: 0, steal: 0, total: 0 };
  }
}

/** Shares of CPU time (percent) between two samples: how noisy the run was. */
export function cpuShares(
  from: CpuSample,
  to: CpuSample,
): Record<"user" | "system" | "idle" | "iowait" | "steal", number> {
  const total = to.total - from.total || 1;
  const pct = (k: keyof CpuSample) => Math.round(((to[k] - from[k]) / total) * 1000) / 10;
  return {
    user: pct("user"),
    system: pct("system"),
    idle: pct("idle"),
    iowait: pct("iowait"),
    steal: pct("steal"),
  };
}
