// checkout: orders through checkout only, at a modest rate (RATE flows per second, default 4).
// Each flow sets the stock of its two products, fills a cart and checks it out; the process
// manager creates the order, reserves both lines, validates it and initiates its payment, whose
// id the flow reads from GET /api/orders/{id}; the flow then completes the payment (Confirmed)
// or, for DECLINED_SHARE of the flows, fails it (Cancelled, the stock back), and waits for that
// final state. The runner's ledger then checks that every order of the run reached a final state.
// The scenario itself is data in lib/model.ts (planFor("checkout")), shared with the native engine.
import { markSetup, markTeardown, probe as probeOnce, summaryOutputs, type RunData } from "./lib/common.ts";
import { runFlow } from "./lib/flows.ts";
import { k6Options } from "./lib/k6-options.ts";
import { planFor } from "./lib/model.ts";

const plan = planFor("checkout", __ENV);
const awaitMs = (name: string) => plan.flows.find((f) => f.flow === name)!.awaitMs;
export const options = k6Options(plan);
export const setup = (): RunData => markSetup(plan);
export const teardown = (): void => markTeardown();
export const probe = (data: RunData): void => probeOnce(data);
export const checkout = (data: RunData): void => runFlow("checkout", data, awaitMs("checkout"));
export const checkoutDeclined = (data: RunData): void =>
  runFlow("checkout-declined", data, awaitMs("checkout-declined"));
export const handleSummary = (data: unknown) => summaryOutputs(data);
