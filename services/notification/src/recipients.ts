// Who a message reaches. Planning names the address or number the event carries, else a
// fallback (the default mailbox, the user or aggregate for SMS and push). At send time a
// fallback is replaced by the customer's own e-mail, phone or device, read from the customer
// read model by the event's customer (an order's customerId; a payment's order's customer).
// Nothing found, or the read side unreachable: the fallback stands, and the record says so.
import { customerRefOf, type CustomerRef } from "./customer-ref.ts";
import type { ClaimedDelivery } from "./deliveries.ts";

export { customerRefOf, type CustomerRef };

export type Recipient = "event" | "customer" | "default" | "subscription";

const str = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 ? value : undefined;

/** Whether the planned target came from the event itself (then it is kept). */
export function fromEvent(
  d: Pick<ClaimedDelivery, "channel" | "target" | "event">,
  emailToDefault: string,
): boolean {
  const { data } = d.event;
  if (d.channel === "email") return d.target !== emailToDefault;
  if (d.channel === "sms")
    return d.target === str(data["phone"]) || d.target === str(d.event.metadata["phone" as never]);
  return d.target === str(data["deviceToken"]);
}

export type Contact = { email?: string | null; phone?: string | null; deviceToken?: string | null };

export const contactFor = (channel: string, contact: Contact): string | undefined =>
  str(channel === "email" ? contact.email : channel === "sms" ? contact.phone : contact.deviceToken);

export interface RecipientsOptions {
  projectionUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  emailToDefault: string;
}

export interface Recipients {
  /** The target to send to, where it came from, and the customer it was looked up for. */
  resolve(
    d: ClaimedDelivery,
  ): Promise<{ target: string; recipient: Recipient; customerId?: string | undefined }>;
}

export function createRecipients(options: RecipientsOptions): Recipients {
  const get = async (path: string): Promise<Record<string, unknown> | undefined> => {
    const response = await fetch(`${options.projectionUrl}${path}`, {
      headers: options.apiKey ? { "x-api-key": options.apiKey } : {},
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.status !== 200) return undefined;
    return (await response.json()) as Record<string, unknown>;
  };
  const customerOf = async (ref: CustomerRef): Promise<string | undefined> => {
    if ("customer" in ref) return ref.customer;
    let orderId = "order" in ref ? ref.order : undefined;
    if ("payment" in ref)
      orderId = str((await get(`/api/payments/${encodeURIComponent(ref.payment)}`))?.["orderId"]);
    if (!orderId) return undefined;
    return str((await get(`/api/orders/${encodeURIComponent(orderId)}`))?.["customerId"]);
  };

  return {
    async resolve(d) {
      if (d.channel === "webhook") return { target: d.target, recipient: "subscription" };
      if (fromEvent(d, options.emailToDefault)) return { target: d.target, recipient: "event" };
      const fallback = { target: d.target, recipient: "default" as const };
      try {
        const ref = customerRefOf(d.event);
        const customerId = ref && (await customerOf(ref));
        if (!customerId) return fallback;
        const customer = await get(`/customer/${encodeURIComponent(customerId)}`);
        const target = customer && contactFor(d.channel, customer);
        return target ? { target, recipient: "customer", customerId } : { ...fallback, customerId };
      } catch {
        return fallback;
      }
    },
  };
}
