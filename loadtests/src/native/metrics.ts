/**
 * The native engine's metrics, as Prometheus will hold them (pushed by remote write): counters
 * and histograms with the run's labels (`engine`, `testid`, `scenario`, ...). Only what a load
 * dashboard needs: request rate, latency histogram, errors, dropped and late requests, events
 * accepted, the probe's end-to-end latency, flow failures, bytes on the wire.
 */
import type { TimeSeries } from "./remote-write.ts";

export const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;
const keyOf = (name: string, labels: Labels) =>
  `${name}|${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",")}`;

interface Hist {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export class LoadMetrics {
  private readonly counters = new Map<string, { name: string; labels: Labels; value: number }>();
  private readonly hists = new Map<string, { name: string; h: Hist }>();
  private readonly common: Labels;

  constructor(common: Labels) {
    this.common = common;
  }

  inc(name: string, labels: Labels, by = 1): void {
    const all = { ...this.common, ...labels };
    const k = keyOf(name, all);
    const c = this.counters.get(k);
    if (c) c.value += by;
    else this.counters.set(k, { name, labels: all, value: by });
  }

  /** Declares a counter at 0 so its series exists from the start (a rate() needs two points). */
  declare(name: string, labels: Labels): void {
    this.inc(name, labels, 0);
  }

  observe(name: string, labels: Labels, seconds: number): void {
    const all = { ...this.common, ...labels };
    const k = keyOf(name, all);
    let e = this.hists.get(k);
    if (!e) {
      e = { name, h: { labels: all, counts: latencyBuckets.map(() => 0), sum: 0, count: 0 } };
      this.hists.set(k, e);
    }
    const h = e.h;
    for (let i = 0; i < latencyBuckets.length; i++) if (seconds <= latencyBuckets[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** Every series at `timestamp` (cumulative values, as a scrape would see them). */
  snapshot(timestamp: number): TimeSeries[] {
    const out: TimeSeries[] = [];
    const one = (name: string, labels: Labels, value: number) =>
      out.push({ labels: { __name__: name, ...labels }, samples: [{ value, timestamp }] });
    for (const c of this.counters.values()) one(c.name, c.labels, c.value);
    for (const { name, h } of this.hists.values()) {
      latencyBuckets.forEach((le, i) => one(`${name}_bucket`, { ...h.labels, le: String(le) }, h.counts[i]!));
      one(`${name}_bucket`, { ...h.labels, le: "+Inf" }, h.count);
      one(`${name}_sum`, h.labels, h.sum);
      one(`${name}_count`, h.labels, h.count);
    }
    return out;
  }
}
