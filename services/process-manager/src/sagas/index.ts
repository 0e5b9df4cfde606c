// Every saga the process manager runs, looked up by process type.
import { cartSaga } from "./cart.ts";
import { onboarding } from "./onboarding.ts";
import { orderFulfilment } from "./order-fulfilment.ts";
import type { Saga } from "./saga.ts";
import { stockWatch } from "./stock.ts";

export const sagas: readonly Saga<unknown>[] = [
  orderFulfilment,
  cartSaga,
  onboarding,
  stockWatch,
] as Saga<unknown>[];

const byType = new Map(sagas.map((s) => [s.type, s]));

export const sagaOf = (type: string): Saga<unknown> | undefined => byType.get(type);

/** The type of a process id (`order:o-1` -> order). */
export const typeOfProcess = (processId: string): string => processId.slice(0, processId.indexOf(":"));

export type {
  Command,
  Context,
  Current,
  Input,
  Outcome,
  ProcessStatus,
  Route,
  Saga,
  Settings,
} from "./saga.ts";
