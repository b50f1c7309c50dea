// Handlers of test/corpus/valid/kitchen-sink.flow.
export type Priority = "low" | "normal" | "high";
export type Carrier = "post" | "courier";

export interface Money {
  amount: number;
  currency: "eur" | "usd";
}

export interface Order {
  id: string;
  customer: { id: string; email: string; phone?: string; vip: boolean };
  // Readonly: a decoded message is the handler's to read, not to change.
  lines: readonly { sku: string; quantity: number; price: Money }[];
  priority: Priority;
  placedAt: string;
  note?: string;
  attachment?: string;
  weightKg: number;
}

export interface Parcel {
  orderId: string;
  carrier: Carrier;
  sku: string;
}

export interface Receipt {
  orderId: string;
  body: string;
}

export function receipt(input: Order, ctx?: unknown): Receipt {
  void ctx;
  const total = input.lines.reduce((sum, line) => sum + line.quantity * line.price.amount, 0);
  return { orderId: input.id, body: `total ${total}` };
}

export function quickReceipt(input: Order, ctx?: unknown): Receipt {
  void ctx;
  return { orderId: input.id, body: `${input.lines.length} lines` };
}

export function pack(input: Order, ctx?: unknown): Parcel[] {
  void ctx;
  const carrier: Carrier = input.weightKg > 20 ? "courier" : "post";
  return input.lines.map((line) => ({ orderId: input.id, carrier, sku: line.sku }));
}

export function notifyCarrier(input: Parcel, ctx?: unknown): void {
  void ctx;
  void input;
}
