import { ApprovalNotWaitingError, ForkError, UnknownSessionError } from '@signalbox/client';
import { ApiTokenError } from '@signalbox/store';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '@signalbox/runtime';

/** Every refusal's body: a stable code for programs, a sentence for people, and zod's issues for bad input. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

/** An expected refusal a handler throws: answered with its status and an ErrorBody. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly issues: { path: (string | number)[]; message: string }[] | undefined;
  constructor(status: ContentfulStatusCode, code: string, message: string, issues?: readonly z.core.$ZodIssue[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues?.map((issue) => ({ path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)), message: issue.message }));
  }
}

export function problemResponse(c: Context, problem: HttpProblem): Response {
  const body = { error: { code: problem.code, message: problem.message, ...(problem.issues ? { issues: problem.issues } : {}) } };
  return c.json(body, problem.status);
}

/** The SDK's errors as the statuses they are; anything else is a fault, logged, and answered 500 without its details. */
export function problemOf(error: unknown, logger: Logger): HttpProblem {
  if (error instanceof HttpProblem) return error;
  // Hono's own refusals, such as a JSON body that does not parse.
  if (error instanceof HTTPException && error.status < 500) return new HttpProblem(error.status, 'invalid_request', error.message || 'the request could not be read');
  if (error instanceof UnknownSessionError) return new HttpProblem(404, 'unknown_session', error.message);
  if (error instanceof ApprovalNotWaitingError) return new HttpProblem(409, 'approval_not_waiting', error.message);
  if (error instanceof ForkError) return new HttpProblem(409, error.code, error.message);
  if (error instanceof ApiTokenError) return new HttpProblem(error.code === 'duplicate_name' ? 409 : 400, error.code, error.message);
  logger.error({ err: error }, 'request failed');
  return new HttpProblem(500, 'internal', 'the gateway could not answer: see its log');
}

/** Declares the refusals every authenticated route may answer, for the API document. */
export function refusals(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 429 | 503)[]) {
  const described = { 400: 'invalid input', 401: 'no token, or an unknown or revoked one', 403: 'the token lacks the scope, or the CSRF header is missing or wrong', 404: 'no such thing', 409: 'refused in the state it is in', 413: 'body over 1 MiB', 429: 'rate limited: see Retry-After', 503: 'no service answered' } as const;
  return Object.fromEntries(statuses.map((status) => [status, { description: described[status], content: { 'application/json': { schema: ErrorBody } } }]));
}
