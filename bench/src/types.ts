// What a benchmark module (`src/<name>.bench.ts`) exports for main.ts to run.

export interface BenchContext {
  /** QUICK=1: fewer events and one run, a smoke check rather than figures to quote. */
  quick: boolean;
  connectionString: string;
  /** Progress lines, printed as the benchmark goes. */
  log(line: string): void;
  /** Called with a cleanup to run if the process is interrupted; returns the unregister. */
  onInterrupt(cleanup: () => Promise<void>): () => void;
}

export interface BenchResult {
  name: string;
  description: string;
  /** How the figures were produced (sizes, runs, shapes), for the results file. */
  config: Record<string, unknown>;
  /** The human-readable summary printed at the end. */
  report: string;
  /** Every figure, for the results file. */
  data: unknown;
}

export interface Benchmark {
  name: string;
  description: string;
  run(context: BenchContext): Promise<BenchResult>;
}
