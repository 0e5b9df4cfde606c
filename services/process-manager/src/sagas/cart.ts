// A cart's life: an open cart idle for too long expires (CartExpired); a checked-out cart
// becomes an order with the cart's customer, items and total (the order's own process takes it
// from there). The cart's state is folded from its events with the carts domain itself.
import { carts, sumOfItems, type CartCheckedOut, type CartState } from "@eventscope/contracts";
import { after, type Saga } from "./saga.ts";

export const CART_IDLE = "cart-idle";

export interface CartProcessState {
  cart: CartState;
}

export const cartProcessId = (cartId: string): string => `cart:${cartId}`;

export const cartSaga: Saga<CartProcessState> = {
  type: "cart",
  // A checkout is the start of the order's trace: the order is made in the checkout's trace.
  trace: "cause",
  route: (event) =>
    event.aggregateType === "Cart"
      ? [{ processId: cartProcessId(event.aggregateId), start: event.eventType === "CartCreated" }]
      : [],
  initial: () => ({ cart: carts.initial() }),
  decide(now, input, context) {
    if (input.kind === "rejected") return undefined;
    if (input.kind === "timer") {
      if (input.name !== CART_IDLE || now.state.cart.status !== "Open") return undefined;
      return {
        ...now,
        stage: "expiring",
        commands: [
          {
            step: "expire",
            eventType: "CartExpired",
            aggregateType: "Cart",
            aggregateId: now.state.cart.cartId!,
            data: {},
          },
        ],
      };
    }
    const { event } = input;
    const cart = carts.evolve(now.state.cart, event);
    const state = { cart };
    const idle = { [CART_IDLE]: after(context.now, context.settings.cartIdleMs) };
    switch (event.eventType) {
      case "CartCreated":
        return { state, status: "active", stage: "open", setTimers: idle };
      case "ItemAddedToCart":
        return { ...now, state, setTimers: idle };
      case "CartCheckedOut": {
        const orderId = (event.data as CartCheckedOut).orderId;
        const data = {
          customerId: cart.customerId,
          cartId: cart.cartId,
          orderId,
          items: cart.items,
          totalAmount: sumOfItems(cart.items),
        };
        return {
          state,
          status: "completed",
          stage: "checked-out",
          outcome: "checked-out",
          cancelTimers: [CART_IDLE],
          commands: [
            { step: "order", eventType: "OrderCreated", aggregateType: "Order", aggregateId: orderId, data },
          ],
        };
      }
      case "CartExpired":
        return {
          state,
          status: "completed",
          stage: "expired",
          outcome: "expired",
          cancelTimers: [CART_IDLE],
        };
      default:
        return { ...now, state };
    }
  },
};
