/** The console's client-side routes; the gateway answers every other non-API path with index.html. */
export type Route =
  | { page: 'sessions' }
  | { page: 'session'; sessionId: string }
  | { page: 'diff'; a: string; b: string }
  | { page: 'login' }
  | { page: 'tokens' }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  if (pathname === '/' || pathname === '/sessions') return { page: 'sessions' };
  if (pathname === '/login') return { page: 'login' };
  if (pathname === '/tokens') return { page: 'tokens' };
  if (pathname === '/diff') return { page: 'diff', a: query.get('a') ?? '', b: query.get('b') ?? '' };
  const session = /^\/sessions\/([^/]+)$/.exec(pathname);
  if (session?.[1] !== undefined) {
    try {
      return { page: 'session', sessionId: decodeURIComponent(session[1]) };
    } catch {
      return { page: 'not-found', path: pathname };
    }
  }
  return { page: 'not-found', path: pathname };
}

export const sessionPath = (sessionId: string) => `/sessions/${encodeURIComponent(sessionId)}`;
export const diffPath = (a: string, b: string) => `/diff?${new URLSearchParams({ a, b }).toString()}`;
