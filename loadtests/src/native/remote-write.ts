/**
 * Prometheus remote write (protocol 1.0) without dependencies: a WriteRequest in protobuf,
 * compressed in snappy's block format with literals only (valid snappy, no compression: the
 * requests stay small and the encoder stays ten lines). The native engine pushes its metrics
 * this way, as k6 does, so a run's series exist only for its run (no scrape target that is down
 * between runs) and carry the run's exact timestamps.
 */
export interface TimeSeries {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}

class Writer {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  bytes(b: Buffer): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }
  varint(n: number): this {
    const out: number[] = [];
    let v = BigInt(Math.max(0, Math.trunc(n)));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      out.push(byte);
    } while (v > 0n);
    return this.bytes(Buffer.from(out));
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  message(field: number, w: Writer): this {
    return this.tag(field, 2).varint(w.length).bytes(w.finish());
  }
  string(field: number, s: string): this {
    const b = Buffer.from(s, "utf8");
    return this.tag(field, 2).varint(b.length).bytes(b);
  }
  double(field: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return this.tag(field, 1).bytes(b);
  }
  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** prometheus.WriteRequest: timeseries = 1 { labels = 1 {name = 1, value = 2}, samples = 2 {value = 1, timestamp = 2} }. */
export function encodeWriteRequest(series: TimeSeries[]): Buffer {
  const req = new Writer();
  for (const s of series) {
    const ts = new Writer();
    for (const name of Object.keys(s.labels).sort()) {
      ts.message(1, new Writer().string(1, name).string(2, s.labels[name]!));
    }
    for (const sample of s.samples) {
      ts.message(2, new Writer().double(1, sample.value).tag(2, 0).varint(sample.timestamp));
    }
    req.message(1, ts);
  }
  return req.finish();
}

/** Snappy block format, literals only: the length, then the bytes in literal elements. */
export function snappyLiterals(data: Buffer): Buffer {
  const out = new Writer().varint(data.length);
  for (let off = 0; off < data.length; off += 65536) {
    const chunk = data.subarray(off, Math.min(data.length, off + 65536));
    const n = chunk.length - 1;
    if (n < 60) out.bytes(Buffer.from([n << 2]));
    else if (n < 256) out.bytes(Buffer.from([60 << 2, n]));
    else out.bytes(Buffer.from([61 << 2, n & 0xff, n >> 8]));
    out.bytes(chunk);
  }
  return out.finish();
}

export async function remoteWrite(url: string, series: TimeSeries[]): Promise<void> {
  if (series.length === 0) return;
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
    },
    body: snappyLiterals(encodeWriteRequest(series)),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`remote write: ${res.status} ${(await res.text()).slice(0, 200)}`);
}
