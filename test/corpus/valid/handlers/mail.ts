// Handlers of test/corpus/valid/copy.flow.
export interface Signup {
  userId: string;
  email: string;
}

export interface Mail {
  to: string;
  subject: string;
}

export function welcomeMail(input: Signup, ctx?: unknown): Mail {
  void ctx;
  return { to: input.email, subject: "Welcome" };
}

export function auditMail(input: Signup, ctx?: unknown): Mail {
  void ctx;
  return { to: "audit@example.com", subject: `New user ${input.userId}` };
}
