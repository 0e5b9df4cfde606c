export { runScenario, scenarioDefaults, type RunFigures, type RunOptions, type ScenarioName } from "./run.ts";
export { checkLedger, type LedgerResult } from "./ledger.ts";
export { LagSampler, type LagSample } from "./lag.ts";
export { renderHtml } from "./html.ts";
export type { Report } from "./model.ts";
