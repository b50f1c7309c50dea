// Handlers of test/corpus/valid/merge.flow.
export interface Query {
  id: string;
  text: string;
}

export interface Answer {
  queryId: string;
  body: string;
}

export function askPrimary(input: Query, ctx?: unknown): Answer {
  void ctx;
  return { queryId: input.id, body: `primary: ${input.text}` };
}

export async function askReplica(input: Query, ctx?: unknown): Promise<Answer> {
  void ctx;
  return { queryId: input.id, body: `replica: ${input.text}` };
}
