import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Presented } from '../core/access.ts';

export const sessionCookie = 'sbx_session';
export const csrfCookie = 'sbx_csrf';
export const csrfHeader = 'X-CSRF-Token';

/** The token a request carries and how: the bearer header wins over the cookie. */
export function presentedToken(c: Context): { token: string | undefined; presented: Presented } {
  const authorization = c.req.header('Authorization');
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return { token: match?.[1] ?? '', presented: { via: 'bearer' } };
  }
  const cookie = getCookie(c, sessionCookie);
  if (cookie === undefined) return { token: undefined, presented: { via: 'none' } };
  return { token: cookie, presented: { via: 'cookie', csrfMatches: sameSecret(c.req.header(csrfHeader), csrfTokenFor(cookie)) } };
}

/**
 * The CSRF value of a login: derived from its token (HMAC), not only copied from the readable cookie,
 * so a cookie planted by a sibling subdomain cannot forge a matching pair without the token itself.
 */
export function csrfTokenFor(token: string): string {
  return createHmac('sha256', token).update('sbx-csrf').digest('base64url');
}

/** Compares secrets in constant time, so the time taken says nothing of how much of a guess was right. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
