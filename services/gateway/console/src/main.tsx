import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, onUnauthorised } from './api.ts';
import { navigate, useRoute } from './navigation.ts';
import { Link } from './parts/link.tsx';
import { DiffPage } from './pages/diff-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { SessionPage } from './pages/session-page.tsx';
import { SessionsPage } from './pages/sessions-page.tsx';
import { TokensPage } from './pages/tokens-page.tsx';

/** Who is logged in, as `/auth/me` says: the token's name and scopes. */
interface Me {
  name: string;
  scopes: string[];
}

/** The console: a header, and the page the address names; any 401 from the gateway shows the login page. */
function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | 'anonymous'>();
  useEffect(() => onUnauthorised(() => setMe('anonymous')), []);
  useEffect(() => {
    api
      .get<Me>('/auth/me')
      .then(setMe)
      .catch(() => setMe('anonymous'));
  }, []);
  if (me === undefined) return null;
  if (me === 'anonymous' || route.page === 'login') {
    const loggedIn = () =>
      void api
        .get<Me>('/auth/me')
        .then((who) => {
          setMe(who);
          if (route.page === 'login') navigate('/');
        })
        .catch(() => setMe('anonymous'));
    return <LoginPage onLoggedIn={loggedIn} />;
  }
  const logout = () => void api.post('/auth/logout').finally(() => setMe('anonymous'));
  return (
    <>
      <nav class="top">
        <Link href="/" class="brand">
          Signalbox
        </Link>
        <Link href="/">sessions</Link>
        {me.scopes.includes('admin') ? <Link href="/tokens">tokens</Link> : null}
        <span class="spacer" />
        <span class="muted">{me.name}</span>
        <button type="button" class="link" onClick={logout}>
          log out
        </button>
      </nav>
      {route.page === 'sessions' ? <SessionsPage /> : null}
      {route.page === 'session' ? <SessionPage key={route.sessionId} sessionId={route.sessionId} /> : null}
      {route.page === 'diff' ? <DiffPage a={route.a} b={route.b} /> : null}
      {route.page === 'tokens' ? <TokensPage self={me.name} /> : null}
      {route.page === 'not-found' ? <main><p class="error">No page at {route.path}.</p></main> : null}
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
