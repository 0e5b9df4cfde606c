// Where two seeds name one thing twice, one name is stored and the other accepted: the roadmap
// seed's OrderPlaced, PaymentCaptured and LowStockAlerted are the e-commerce seed's OrderCreated,
// PaymentCompleted and LowStockAlert. An event sent under an alias is validated and stored under
// the stored name, so every reader (aggregates, read models, rules, sagas) knows one name only.
export const eventAliases: Readonly<Record<string, string>> = Object.freeze({
  OrderPlaced: "OrderCreated",
  PaymentCaptured: "PaymentCompleted",
  LowStockAlerted: "LowStockAlert",
});

/** The stored name of an event type (itself when it is no alias). */
export const storedEventType = (eventType: string): string =>
  Object.hasOwn(eventAliases, eventType) ? eventAliases[eventType]! : eventType;
