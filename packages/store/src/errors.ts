import { PermissionViolationError } from '@nats-io/nats-core';

/** Another writer appended to the session first: reload its state and decide again. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  readonly code = 'concurrency_conflict';
  readonly sessionId: string;

  constructor(sessionId: string, expectedN: number, cause?: unknown) {
    super(`session ${sessionId} moved past event ${expectedN} while appending`, { cause });
    this.sessionId = sessionId;
  }
}

/** A session's log skips a number: an event was lost or written out of order. */
export class SequenceGapError extends Error {
  override readonly name = 'SequenceGapError';
  readonly code = 'sequence_gap';
  readonly sessionId: string;

  constructor(sessionId: string, expectedN: number, foundN: number) {
    super(`session ${sessionId}: expected event ${expectedN}, found ${foundN}`);
    this.sessionId = sessionId;
  }
}

/** A session's log holds the same number twice. */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
  readonly code = 'duplicate_event';
  readonly sessionId: string;

  constructor(sessionId: string, n: number) {
    super(`session ${sessionId}: event ${n} appears more than once`);
    this.sessionId = sessionId;
  }
}

/** A session's log read back without its last events, again and again: the replicas answering reads lag behind its head. */
export class IncompleteReadError extends Error {
  override readonly name = 'IncompleteReadError';
  readonly code = 'incomplete_read';
  readonly sessionId: string;

  constructor(sessionId: string, headN: number, lastReadN: number) {
    super(`session ${sessionId}: its head is event ${headN}, but reads ended at event ${lastReadN}`);
    this.sessionId = sessionId;
  }
}

/**
 * A session's log holds a message that is not its events (garbage published on its subject): every
 * read of it fails the same way, so this is permanent, and the session cannot go on.
 */
export class CorruptLogError extends Error {
  override readonly name = 'CorruptLogError';
  readonly code = 'corrupt_log';
  readonly permanent = true;
  readonly subject: string;
  readonly seq: number;

  constructor(subject: string, seq: number, cause: Error) {
    super(`${subject} holds a message that cannot be decoded, at stream sequence ${seq}: ${cause.message}`, { cause });
    this.subject = subject;
    this.seq = seq;
  }
}

/** NATS refused to create or change what provisioning makes: the connection's user may not manage JetStream. */
export class ProvisioningRefusedError extends Error {
  override readonly name = 'ProvisioningRefusedError';
  readonly code = 'provisioning_refused';
  /** What was missing when it was refused, named for people (`stream SBX_EVENTS`). */
  readonly missing: readonly string[];

  constructor(message: string, missing: readonly string[], cause: unknown) {
    super(message, { cause });
    this.missing = missing;
  }
}

/** Whether NATS refused a request for want of permission: nats.js raises a RequestError caused by a PermissionViolationError. */
export function isPermissionDenied(error: unknown): error is Error {
  return permissionRefusal(error) !== undefined;
}

/** The server's refusal somewhere in `error`'s cause chain: what the user may not do, on which subject. */
export function permissionRefusal(error: unknown): PermissionViolationError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) if (cause instanceof PermissionViolationError) return cause;
  return undefined;
}
