// Handlers of test/corpus/valid/lane-sinks.flow.
export type Kind = "a" | "b";

export interface Item {
  id: string;
  kind: Kind;
  size: number;
}

export interface Label {
  itemId: string;
  text: string;
}

export function label(input: Item, ctx?: unknown): Label {
  void ctx;
  return { itemId: input.id, text: `${input.kind}:${input.size}` };
}
