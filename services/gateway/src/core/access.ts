/** What a gateway token may do; `admin` implies every other scope. */
export type Scope = 'read' | 'submit' | 'approve' | 'admin';

/** What a route asks of its caller: a scope, any valid token, or nothing (login, health, the API document). */
export type Needed = Scope | 'any' | 'none';

export interface Caller {
  name: string;
  scopes: readonly Scope[];
}

/**
 * How the request presented its token: a bearer header, the browser's session cookie (with whether
 * its CSRF header matched), or none. A bearer token cannot be sent by a page of another site on its
 * own, so only the cookie needs the CSRF check.
 */
export type Presented = { via: 'bearer' } | { via: 'cookie'; csrfMatches: boolean } | { via: 'none' };

export type Refusal = { status: 401 | 403; code: 'unauthenticated' | 'invalid_token' | 'csrf' | 'insufficient_scope'; message: string };
export type AccessDecision = { kind: 'allowed' } | ({ kind: 'refused' } & Refusal);

/** Methods that change nothing, which a cookie may make without the CSRF header. */
const safeMethods: readonly string[] = ['GET', 'HEAD', 'OPTIONS'];

export function allows(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

/** Whether a request may go on, and if not the status and words that say why. */
export function decideAccess(request: { needed: Needed; method: string; presented: Presented; caller: Caller | undefined }): AccessDecision {
  const { needed, method, presented, caller } = request;
  if (needed === 'none') return { kind: 'allowed' };
  if (presented.via === 'none') return refused(401, 'unauthenticated', 'no credentials: send "Authorization: Bearer <token>", or log in at POST /api/v1/auth/login');
  if (caller === undefined) return refused(401, 'invalid_token', 'the token is unknown or revoked');
  if (presented.via === 'cookie' && !safeMethods.includes(method.toUpperCase()) && !presented.csrfMatches) {
    return refused(403, 'csrf', 'a request with the session cookie that changes something needs the X-CSRF-Token header, equal to the sbx_csrf cookie');
  }
  if (needed !== 'any' && !allows(caller.scopes, needed)) return refused(403, 'insufficient_scope', `token "${caller.name}" lacks the "${needed}" scope`);
  return { kind: 'allowed' };
}

function refused(status: Refusal['status'], code: Refusal['code'], message: string): AccessDecision {
  return { kind: 'refused', status, code, message };
}
