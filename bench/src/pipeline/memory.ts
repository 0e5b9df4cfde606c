// Resident memory of the whole native stack, read from /proc the way infra/native/common.sh's
// mem_mb does: each part's recorded pid and all its descendants (PostgreSQL's backends), VmRSS
// from /proc/<pid>/status and Pss from /proc/<pid>/smaps_rollup. RSS counts a page shared by
// several processes (PostgreSQL's shared buffers) once per process; PSS divides it among them,
// so PSS adds up across parts and is the honest total.
import { readdirSync, readFileSync } from "node:fs";
import { partPid, SERVICES } from "./stack.ts";

// Every part `make up` runs: the four services under load, the process manager and the gateway
// beside them, and the infrastructure (the exporter that reads PostgreSQL's statistics included).
export const STACK_PARTS = [
  ...SERVICES,
  "process-manager",
  "gateway",
  "kafka",
  "postgres",
  "pg_exporter",
  "prometheus",
  "jaeger",
  "smtp",
] as const;

export interface PartMemory {
  part: string;
  pid: number | null;
  processes: number;
  /** Seconds since the part's process started (null when it is not running). */
  ageSeconds: number | null;
  rssMiB: number;
  pssMiB: number;
}

export interface MemorySnapshot {
  at: string;
  /** What the snapshot was taken after ("after load @1000/s", ...). */
  label: string;
  parts: PartMemory[];
  totalRssMiB: number;
  totalPssMiB: number;
  /** Parts that were not running (not counted). */
  missing: string[];
}

function parents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(pid);
      children.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  return children;
}

const kib = (text: string, field: string): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(text);
  return m ? Number(m[1]) : 0;
};

function readKiB(path: string, field: string): number {
  try {
    return kib(readFileSync(path, "utf8"), field);
  } catch {
    return 0;
  }
}

const mib = (k: number) => Math.round(k / 1024);

const TICKS = 100; // USER_HZ on Linux

/** Seconds since a process started: its start time (clock ticks after boot) against the uptime. */
function processAge(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const start = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    return Math.max(0, Math.round(uptime - start / TICKS));
  } catch {
    return null;
  }
}

export function memorySnapshot(label: string): MemorySnapshot {
  const children = parents();
  const parts: PartMemory[] = [];
  const missing: string[] = [];
  for (const part of STACK_PARTS) {
    const pid = partPid(part);
    if (pid === null) {
      missing.push(part);
      parts.push({ part, pid: null, processes: 0, ageSeconds: null, rssMiB: 0, pssMiB: 0 });
      continue;
    }
    const tree: number[] = [];
    const stack = [pid];
    while (stack.length > 0) {
      const p = stack.pop()!;
      tree.push(p);
      stack.push(...(children.get(p) ?? []));
    }
    let rss = 0;
    let pss = 0;
    for (const p of tree) {
      rss += readKiB(`/proc/${p}/status`, "VmRSS");
      pss += readKiB(`/proc/${p}/smaps_rollup`, "Pss");
    }
    parts.push({
      part,
      pid,
      processes: tree.length,
      ageSeconds: processAge(pid),
      rssMiB: mib(rss),
      pssMiB: mib(pss),
    });
  }
  return {
    at: new Date().toISOString(),
    label,
    parts,
    totalRssMiB: parts.reduce((a, p) => a + p.rssMiB, 0),
    totalPssMiB: parts.reduce((a, p) => a + p.pssMiB, 0),
    missing,
  };
}
