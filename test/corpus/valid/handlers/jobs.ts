// Handlers of test/corpus/valid/policies.flow.
export interface Job {
  id: string;
  attempts: number;
}

export interface Result {
  jobId: string;
  ok: boolean;
}

export function run(input: Job, ctx?: unknown): Result {
  void ctx;
  return { jobId: input.id, ok: input.attempts < 3 };
}

export function fanJobs(input: Job, ctx?: unknown): Result[] {
  void ctx;
  return [{ jobId: input.id, ok: true }];
}
