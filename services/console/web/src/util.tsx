import { useEffect, useState } from "preact/hooks";

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and whenever `deps` change; `everyMs` reloads on a timer. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load()
      .then((d) => live && (setData(d), setError(undefined)))
      .catch((e: unknown) => live && setError((e as Error).message))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  useEffect(() => {
    if (!everyMs) return;
    const timer = setInterval(() => setTick((t) => t + 1), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}

export const ErrorBox = ({ error }: { error: string | undefined }) =>
  error ? (
    <div class="error" role="alert">
      {error}
    </div>
  ) : null;

export const Json = ({ value }: { value: unknown }) => (
  <pre class="json">{JSON.stringify(value, null, 2)}</pre>
);

export const ms = (n: number | null | undefined): string =>
  n === null || n === undefined
    ? "–"
    : n >= 1000
      ? `${(n / 1000).toFixed(2)} s`
      : `${n.toFixed(n < 10 ? 2 : 1)} ms`;

export const num = (n: number | null | undefined): string =>
  n === null || n === undefined ? "–" : n.toLocaleString("en");

/** Bytes as a person reads them: 1,024-based units, three significant figures. */
export const bytes = (n: number | null | undefined): string => {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toPrecision(3)} ${units[unit]}`;
};

export const Verdict = ({ verdict }: { verdict: string | null | undefined }) => (
  <span class={`verdict v-${(verdict ?? "unknown").toLowerCase()}`}>{verdict ?? "?"}</span>
);
