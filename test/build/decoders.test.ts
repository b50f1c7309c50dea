/**
 * The generated decoders (the golden kitchen-sink and schemas builds): a typed value for a
 * good message, a reason naming the path for a bad one, and never a throw, whatever arrives.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as shop from "./golden/corpus/kitchen-sink/types.js";
import * as schemas from "./golden/corpus/schemas/types.js";

const order = {
  id: "o1",
  customer: { id: "c1", email: "a@b.c", vip: false },
  lines: [{ sku: "s1", quantity: 2, price: { amount: 5, currency: "eur" } }],
  priority: "high",
  placedAt: "2024-05-01T10:00:00Z",
  weightKg: 1.5,
};

describe("generated decoders", () => {
  it("decode a good message, dropping unknown fields and treating null as absent", () => {
    const decoded = shop.decodeOrder({ ...order, note: null, extra: 1 });
    expect(decoded).toEqual({ ok: true, value: { ...order, note: undefined, attachment: undefined, customer: { ...order.customer, phone: undefined } } });
  });

  it("say what is wrong and where", () => {
    const reason = (value: unknown) => {
      const decoded = shop.decodeOrder(value);
      return decoded.ok ? "ok" : decoded.reason;
    };
    expect(reason("x")).toBe('Order: expected an object, found "x"');
    expect(reason({ ...order, lines: [{ sku: "s", quantity: 1.5, price: { amount: 1, currency: "eur" } }] })).toBe("Order.lines[0].quantity: expected a whole number, found 1.5");
    expect(reason({ ...order, priority: "urgent" })).toBe('Order.priority: expected one of low, normal, high, found "urgent"');
    expect(reason({ ...order, placedAt: "yesterday" })).toBe('Order.placedAt: expected an ISO 8601 timestamp, found "yesterday"');
    expect(reason({ ...order, attachment: "not base64!" })).toBe('Order.attachment: expected base64 text, found "not base64!"');
    expect(reason({ ...order, customer: undefined })).toBe("Order.customer: expected an object, found nothing");
  });

  it("never throw, whatever the input", () => {
    const decoders = [shop.decodeOrder, shop.decodeParcel, schemas.decodeEverything, schemas.decodeEnvelope, schemas.decodeAccount];
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.object(), fc.record({ id: fc.anything(), customer: fc.anything(), lines: fc.anything() })), (value) => {
        for (const decode of decoders) {
          const result = decode(value);
          expect(typeof result.ok).toBe("boolean");
        }
      }),
      { numRuns: 500 },
    );
  });
});
