import { useState } from 'preact/hooks';
import { api } from '../api.ts';

/** Logs in with an API token: the gateway answers with the session cookie (HttpOnly) and the CSRF cookie. */
export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    api
      .post('/auth/login', { token })
      .then(() => {
        setToken('');
        onLoggedIn();
      })
      .catch((failure: unknown) => setError(String(failure)))
      .finally(() => setBusy(false));
  };
  return (
    <main class="login">
      <h1>Signalbox</h1>
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" value={token} onInput={(event) => setToken(event.currentTarget.value)} required />
        <button type="submit" disabled={busy || token === ''}>
          Log in
        </button>
        {error ? <p class="error">{error}</p> : null}
      </form>
      <p class="muted">An API token of the gateway's. The page keeps it nowhere: the gateway sets an HttpOnly cookie.</p>
    </main>
  );
}
