import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPool, waitFor } from "@eventscope/testkit";
import { post, processOf, request, startStack, timings, waitForStage, type Stack } from "./support.ts";

// Personal data erasure reaches the processes: after a customer's erasure (the admin route) or
// deletion, no byte of their e-mail or phone is left in any text or jsonb column of the process
// manager's schema; their onboarding goes on without it (a reminder due later is skipped, saying
// why); other customers' processes keep theirs.
let stack: Stack;
const pool = testPool();
const id = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const schema = () => `${stack.name}_pm`;

/** Every (table, column) of the schema's text, json and jsonb columns whose value contains `needle`. */
async function occurrences(needle: string): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = $1 AND data_type IN ('text', 'jsonb', 'json', 'character varying', 'ARRAY')`,
    [schema()],
  );
  const found: string[] = [];
  for (const { table_name, column_name } of rows) {
    const hit = await pool.query(
      `SELECT 1 FROM "${schema()}"."${table_name}" WHERE "${column_name}"::text LIKE $1 LIMIT 1`,
      [`%${needle}%`],
    );
    if (hit.rowCount) found.push(`${table_name}.${column_name}`);
  }
  return found.sort();
}

const register = async (customerId: string) => {
  const email = `${customerId}@erasure.test`;
  const res = await post(stack, "/api/customers", {
    customerId,
    givenName: `Given${customerId}`,
    familyName: "Doe",
    email,
    phone: "+49 170 5550123",
  });
  expect(res.status).toBe(202);
  return email;
};

const erase = async (customerId: string) => {
  const res = await request(`${stack.store.url}/api/subjects/${customerId}/erase`, {
    method: "POST",
    body: { reason: "right to erasure" },
  });
  expect(res.status).toBe(202);
};

/** Waits until the process manager has met the customer's erasure or deletion. */
const erasedIn = (processId: string) =>
  waitFor(
    async () => {
      const p = await processOf(stack, processId);
      return p?.state.erased === true && p;
    },
    30_000,
    `${processId} to forget the customer`,
  );

beforeAll(async () => {
  stack = await startStack("pm_erasure");
});
afterAll(async () => {
  await stack?.stop();
  await pool.end();
});

describe("process manager: a customer's erasure", () => {
  it("drops the e-mail from the state and the sent reminder, and keeps other customers' processes", async () => {
    const erased = id("ce");
    const kept = id("ck");
    const erasedEmail = await register(erased);
    const keptEmail = await register(kept);
    const reminded = await waitForStage(
      stack,
      `onboarding:${erased}`,
      "reminded",
      timings.ACTIVATION_REMINDER_MS + 30_000,
    );
    expect(reminded.state.email).toBe(erasedEmail);
    await waitForStage(stack, `onboarding:${kept}`, "reminded", timings.ACTIVATION_REMINDER_MS + 30_000);
    expect(await occurrences(erasedEmail)).toEqual(["process_steps.envelope", "processes.state"]);

    await erase(erased);
    const p = await erasedIn(`onboarding:${erased}`);
    expect(p).toMatchObject({
      status: "active",
      stage: "reminded",
      state: { email: null, customerId: erased },
    });
    const { rows } = await pool.query(
      `SELECT envelope -> 'data' AS data, status FROM "${schema()}".process_steps WHERE process_id = $1`,
      [`onboarding:${erased}`],
    );
    expect(rows).toEqual([{ data: { email: "[erased]" }, status: "committed" }]);
    expect(await occurrences(erasedEmail)).toEqual([]);
    expect(await occurrences(`Given${erased}`)).toEqual([]);

    // The process still works: the customer confirms and is activated.
    expect((await post(stack, `/customer/${erased}/activate`)).status).toBe(202);
    await waitForStage(stack, `onboarding:${erased}`, "activated");

    const other = await processOf(stack, `onboarding:${kept}`);
    expect(other).toMatchObject({ stage: "reminded", state: { email: keptEmail } });
    expect(other!.state.erased).toBeUndefined();
    expect(await occurrences(keptEmail)).toEqual(["process_steps.envelope", "processes.state"]);
  });

  it("skips, saying why, the reminder of a customer erased before it was due", async () => {
    const customerId = id("cs");
    const email = await register(customerId);
    await waitForStage(stack, `onboarding:${customerId}`, "awaiting-confirmation");
    await erase(customerId);
    await erasedIn(`onboarding:${customerId}`);
    const p = await waitFor(
      async () => {
        const view = await processOf(stack, `onboarding:${customerId}`);
        return view?.stage === "reminder-skipped" && view;
      },
      timings.ACTIVATION_REMINDER_MS + 30_000,
      "the reminder skipped",
    );
    expect(p.status).toBe("active");
    const { rows } = await pool.query(
      `SELECT step, status, last_error, envelope -> 'data' AS data FROM "${schema()}".process_steps
       WHERE process_id = $1`,
      [`onboarding:${customerId}`],
    );
    expect(rows).toEqual([
      {
        step: "reminder",
        status: "refused",
        last_error: "skipped: the customer's personal data was erased: no address to remind",
        data: {},
      },
    ]);
    expect(await occurrences(email)).toEqual([]);
  });

  it("forgets a deleted customer's e-mail as it cancels the onboarding", async () => {
    const customerId = id("cd");
    const email = await register(customerId);
    await waitForStage(stack, `onboarding:${customerId}`, "awaiting-confirmation");
    const res = await request(`${stack.producer.url}/customer/${customerId}`, { method: "DELETE" });
    expect(res.status).toBe(202);
    const p = await erasedIn(`onboarding:${customerId}`);
    expect(p).toMatchObject({ status: "cancelled", stage: "deleted", state: { email: null } });
    expect(await occurrences(email)).toEqual([]);
  });
});
