// The business flows (lib/flow-specs.ts) run by k6: one iteration = one aggregate's whole
// lifecycle, sent in order by one VU (each command accepted before the next is sent), ids
// captured from the answers, then the final state looked for in the read model.
import { check } from "k6";
import { flowSpecs, fill, flowVars, reached, type FlowName } from "./flow-specs.ts";
import { PREFIX, PROJECTION, awaitReadModel, flowFailures, write, type RunData } from "./common.ts";

export function runFlow(name: FlowName, data?: RunData): void {
  const spec = flowSpecs[name];
  const unique = `${__VU}-${__ITER}-${Math.random().toString(36).slice(2, 8)}`;
  const vars = flowVars(spec, PREFIX, unique, __VU * 1_000_000 + __ITER);
  for (const step of spec.steps) {
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
  awaitReadModel(
    PROJECTION + fill(spec.check.path, vars, true),
    spec.check.name,
    (doc) => reached(spec.check, doc),
    Date.now(),
  );
}
