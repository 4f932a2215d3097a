import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './core/route.ts';

const listeners = new Set<() => void>();

/** Goes to a console path without a page load. */
export function navigate(path: string): void {
  history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

const current = () => parseRoute(location.pathname, location.search);

/** The route of the address bar, following links, back and forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(current);
  useEffect(() => {
    const update = () => setRoute(current());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
