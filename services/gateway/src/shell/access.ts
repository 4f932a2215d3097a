import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { decideAccess, type Caller, type Needed } from '../core/access.ts';
import { presentedToken } from './credentials.ts';
import type { GatewayDeps, GatewayEnv } from './deps.ts';
import { HttpProblem } from './problems.ts';

/**
 * Lets a request through when its token may do what the route needs, after the rate limit: by the
 * token's name, or by the caller's address for a request without a valid token (so guessing tokens is
 * limited too). Sets `caller` for the handler.
 */
export function access(deps: GatewayDeps, needed: Needed): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const { token, presented } = presentedToken(c);
    const record = token ? await deps.tokens.verify(token) : undefined;
    const caller: Caller | undefined = record ? { name: record.name, scopes: record.scopes } : undefined;
    if (needed !== 'none' || presented.via !== 'none') {
      const retryAfter = deps.limiter.take(caller ? `token:${caller.name}` : `address:${addressOf(c)}`);
      if (retryAfter !== undefined) {
        c.header('Retry-After', String(retryAfter));
        throw new HttpProblem(429, 'rate_limited', `too many requests: try again in ${retryAfter} s`);
      }
    }
    const decision = decideAccess({ needed, method: c.req.method, presented, caller });
    if (decision.kind === 'refused') throw new HttpProblem(decision.status, decision.code, decision.message);
    c.set('caller', caller);
    await next();
  };
}

/** The caller's address, for limiting requests that carry no valid token. */
export function addressOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The caller a route's `access` let in. */
export function callerOf(c: Context<GatewayEnv>): Caller {
  const caller = c.get('caller');
  if (caller === undefined) throw new HttpProblem(401, 'unauthenticated', 'no credentials');
  return caller;
}

/** Who did something through the gateway, as the session records it (`by`). */
export function actorName(caller: Caller): string {
  return `gateway:${caller.name}`;
}
