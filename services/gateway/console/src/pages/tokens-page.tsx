import { useEffect, useState } from 'preact/hooks';
import { api, segment } from '../api.ts';

interface TokenRow {
  name: string;
  scopes: string[];
  createdAt: number;
}

const scopes = ['read', 'submit', 'approve', 'admin'] as const;
const when = (at: number) => new Date(at).toLocaleString();

/**
 * The API tokens (the admin scope): each by name, scopes and creation; a new one's secret shown once,
 * as the gateway gives it only in its answer to the creation; a token revoked at once.
 */
export function TokensPage({ self }: { self: string }) {
  const [rows, setRows] = useState<TokenRow[]>();
  const [error, setError] = useState<string>();
  const load = (): void =>
    void api
      .get<{ tokens: TokenRow[] }>('/tokens')
      .then((listed) => (setRows([...listed.tokens].sort((a, b) => a.name.localeCompare(b.name))), setError(undefined)))
      .catch((failure: unknown) => setError(String(failure)));
  useEffect(load, []);
  const revoke = (name: string) => {
    const own = name === self ? ' It is the token you are logged in with: this page is refused too.' : '';
    if (!confirm(`Revoke ${name}? Whatever uses it is refused from now on.${own}`)) return;
    api
      .delete(`/tokens/${segment(name)}`)
      .then(load)
      .catch((failure: unknown) => setError(String(failure)));
  };
  return (
    <main>
      <h1>API tokens</h1>
      <NewToken onCreated={load} />
      {error ? <p class="error">{error}</p> : null}
      {rows === undefined ? null : rows.length === 0 ? (
        <p class="muted">No tokens yet.</p>
      ) : (
        <table class="tokens">
          <thead>
            <tr>
              <th>name</th>
              <th>scopes</th>
              <th>created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name}>
                <td>{row.name}</td>
                <td>{row.scopes.join(', ')}</td>
                <td class="muted">{when(row.createdAt)}</td>
                <td>
                  <button type="button" class="small deny" onClick={() => revoke(row.name)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

/** Creates a token: its name and scopes; its secret is shown here once, never again. */
function NewToken({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>(['read']);
  const [state, setState] = useState<{ sending?: boolean; error?: string; secret?: { name: string; value: string } }>({});
  const toggle = (scope: string) => setChosen((was) => (was.includes(scope) ? was.filter((each) => each !== scope) : [...was, scope]));
  const create = (event: Event) => {
    event.preventDefault();
    setState({ sending: true });
    api
      .post<{ name: string; secret: string }>('/tokens', { name: name.trim(), scopes: chosen })
      .then((created) => {
        setState({ secret: { name: created.name, value: created.secret } });
        setName('');
        onCreated();
      })
      .catch((failure: unknown) => setState({ error: String(failure) }));
  };
  return (
    <form class="panel new-token" onSubmit={create}>
      <p>
        <label>
          name <input name="token-name" required maxLength={64} pattern="[a-z0-9][a-z0-9_\-]*" value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>{' '}
        {scopes.map((scope) => (
          <label key={scope} class="scope">
            <input type="checkbox" name={`scope-${scope}`} checked={chosen.includes(scope)} onChange={() => toggle(scope)} /> {scope}
          </label>
        ))}{' '}
        <button type="submit" class="start" disabled={state.sending === true || name.trim() === '' || chosen.length === 0}>
          Create
        </button>
        {state.error ? <span class="error"> {state.error}</span> : null}
      </p>
      {state.secret ? (
        <p class="secret">
          <span>
            The secret of <strong>{state.secret.name}</strong>, shown this once: copy it now.
          </span>
          <code>{state.secret.value}</code>
        </p>
      ) : null}
    </form>
  );
}
