// The business flows (lib/flow-specs.ts) run by k6: one iteration = one flow, sent in order by
// one VU (each command accepted before the next is sent), ids captured from the answers and from
// the read-model documents a flow waits for, then the final state looked for in the read model.
import { check } from "k6";
import { flowSpecs, fill, flowVars, isAwait, reached, type FlowName } from "./flow-specs.ts";
import {
  PREFIX,
  PROBE_TIMEOUT_MS,
  PROJECTION,
  awaitReadModel,
  flowFailures,
  pollReadModel,
  write,
  type RunData,
} from "./common.ts";

/** One flow; each wait for a read-model state is bounded by `awaitMs` (the plan's FlowLoad). */
export function runFlow(name: FlowName, data?: RunData, awaitMs = PROBE_TIMEOUT_MS): void {
  const spec = flowSpecs[name];
  const unique = `${__VU}-${__ITER}-${Math.random().toString(36).slice(2, 8)}`;
  const vars = flowVars(spec, PREFIX, unique, __VU * 1_000_000 + __ITER);
  for (const step of spec.steps) {
    if (isAwait(step)) {
      const doc = pollReadModel(
        PROJECTION + fill(step.await.path, vars, true),
        step.await.name,
        (d) => reached(step.await, d),
        awaitMs,
      );
      if (!check(doc, { [`${step.await.name} shows ${step.await.field}`]: (d) => d !== null })) {
        flowFailures.add(1);
        return;
      }
      for (const [v, field] of Object.entries(step.capture)) {
        const got = doc?.[field];
        if (typeof got === "string" && got !== "") vars[v] = got;
      }
      continue;
    }
    const res = write(step.method, fill(step.path, vars, true), fill(step.body, vars), step.name, data);
    if (!check(res, { [`${step.name} accepted`]: (r) => r.status === 202 })) {
      flowFailures.add(1);
      return;
    }
    for (const [v, field] of Object.entries(step.capture ?? {})) {
      const got = res.json(field);
      if (typeof got === "string" && got !== "") vars[v] = got;
    }
  }
  const seen = awaitReadModel(
    PROJECTION + fill(spec.check.path, vars, true),
    spec.check.name,
    (doc) => reached(spec.check, doc),
    Date.now(),
    awaitMs,
  );
  if (!seen) return;
  for (const also of spec.alsoCheck ?? []) {
    const target = fill(also, vars);
    const doc = pollReadModel(
      PROJECTION + fill(also.path, vars, true),
      also.name,
      (d) => reached(target, d),
      awaitMs,
    );
    if (!check(doc, { [`${also.name} shows ${also.field}`]: (d) => d !== null })) flowFailures.add(1);
  }
}
