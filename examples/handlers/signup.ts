// Handlers of examples/signup.flow: verification codes, welcome emails and notices.
//
// The codes are derived from the user id and email (stable across retries, so a
// redelivered signup gets the same code); messages are rendered from templates.
import { createHash } from "node:crypto";
import { NonRetriableError, type HandlerContext } from "flowc/runtime";

export type Channel = "email" | "sms";

export interface User {
  readonly id: string;
  readonly email: string;
  readonly phone?: string;
  readonly name: string;
  readonly prefs: { readonly channel: Channel; readonly marketing: boolean };
}

export interface Verification {
  readonly userId: string;
  readonly email: string;
  readonly code: string;
}

export interface Verified {
  readonly user: User;
  readonly verifiedAt: string;
}

export interface Message {
  readonly userId: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

/** A six-digit code derived from the user: the same signup always gets the same code. */
export function verificationFor(user: User, context: HandlerContext): Verification {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(user.email)) throw new NonRetriableError(`user ${user.id}: '${user.email}' is not an email address`);
  const digest = createHash("sha256").update(`${context.stage}\u0000${user.id}\u0000${user.email}`).digest();
  const code = String(digest.readUInt32BE(0) % 1_000_000).padStart(6, "0");
  return { userId: user.id, email: user.email, code };
}

const firstName = (user: User) => user.name.trim().split(/\s+/)[0] || user.name;

export function welcomeEmail(verified: Verified): Message {
  const { user } = verified;
  return {
    userId: user.id,
    to: user.email,
    subject: `Welcome, ${firstName(user)}!`,
    body: `Hi ${firstName(user)},\n\nyour address was verified on ${verified.verifiedAt.slice(0, 10)}. Welcome aboard.`,
  };
}

export function noticeEmail(verified: Verified): Message {
  const { user } = verified;
  return {
    userId: user.id,
    to: user.email,
    subject: "What's new this month",
    body: `Hi ${firstName(user)}, here is what changed this month. You get this because you opted in.`,
  };
}

/** Texts go to the user's phone; a user who chose sms without a phone number cannot be reached. */
export function noticeText(verified: Verified): Message {
  const { user } = verified;
  if (user.phone === undefined) throw new NonRetriableError(`user ${user.id} chose sms but has no phone number`);
  const body = `${firstName(user)}: new this month, see the app. Reply STOP to opt out.`;
  return { userId: user.id, to: user.phone, subject: "", body: body.slice(0, 160) };
}
