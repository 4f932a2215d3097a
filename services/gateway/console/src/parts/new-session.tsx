import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { sessionPath } from '../core/route.ts';
import { navigate } from '../navigation.ts';

/**
 * Starts a session: an agent (offered from `GET /agents`) and its task, posted as `POST /sessions` (the
 * submit scope), then its page. The actor's refusal, an unknown agent say, is shown as it said it.
 */
export function NewSession() {
  const [agents, setAgents] = useState<readonly { name: string; model: string }[]>([]);
  useEffect(() => {
    // Offered once the form is on the page; without the list a name can still be typed.
    api
      .get<{ agents: { name: string; model: string }[] }>('/agents')
      .then((listed) => setAgents(listed.agents))
      .catch(() => setAgents([]));
  }, []);
  const [agent, setAgent] = useState('');
  const [input, setInput] = useState('');
  const [state, setState] = useState<{ sending?: boolean; error?: string }>({});
  const start = (event: Event) => {
    event.preventDefault();
    setState({ sending: true });
    api
      .post<{ sessionId: string }>('/sessions', { agent: agent.trim(), input })
      .then(({ sessionId }) => navigate(sessionPath(sessionId)))
      .catch((error: unknown) => setState({ error: String(error) }));
  };
  return (
    <details class="panel new-session">
      <summary>New session</summary>
      <form onSubmit={start}>
        <p>
          <label>
            agent <input name="task-agent" list="known-agents" required maxLength={64} value={agent} onInput={(event) => setAgent(event.currentTarget.value)} />
          </label>
          <datalist id="known-agents">
            {agents.map(({ name, model }) => (
              <option key={name} value={name}>
                {model}
              </option>
            ))}
          </datalist>
        </p>
        <textarea name="task-input" rows={3} required maxLength={100_000} placeholder="The task" value={input} onInput={(event) => setInput(event.currentTarget.value)} />
        <p>
          <button type="submit" class="start" disabled={state.sending === true || agent.trim() === '' || input.trim() === ''}>
            Start
          </button>
          {state.sending ? <span class="muted"> starting…</span> : null}
          {state.error ? <span class="error"> {state.error}</span> : null}
        </p>
      </form>
    </details>
  );
}
