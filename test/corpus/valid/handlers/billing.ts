// Handlers of test/corpus/valid/shared-handlers.flow (used by imports.flow).
export type Currency = "eur" | "usd";

export interface Money {
  amount: number;
  currency: Currency;
}

export interface Invoice {
  id: string;
  customerId: string;
  total: Money;
  paid: boolean;
}

export function remind(input: Invoice, ctx?: unknown): Invoice {
  void ctx;
  return { ...input };
}
