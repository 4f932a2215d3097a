import type { PermissionCheck, PermissionReply } from '@signalbox/events';
import { ServedHere } from './served-here.ts';

/** A broker's answer to a check asked here; `traceparent` is the span its own span hangs under, as a request's header would carry it. */
export type InProcessPermissionAnswer = (check: PermissionCheck, traceparent: string | undefined) => PermissionReply;

/**
 * Where a session actor asks the permission brokers of its own process. A broker here is one more
 * replica of the brokers' queue group, the nearest: it reads the check as a request's would be read
 * (the same limits and schema) and decides it by the same policies, so a check costs a function call
 * rather than a request, a reply and their encoding. With no broker here, every check goes over NATS.
 */
export class InProcessPermissions extends ServedHere<InProcessPermissionAnswer> {
  /** The first broker's answer here; undefined when none serves (the check goes over NATS). */
  answer(check: PermissionCheck, traceparent: string | undefined): PermissionReply | undefined {
    return this.servers[0]?.(check, traceparent);
  }
}
