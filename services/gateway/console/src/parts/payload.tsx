import { useState } from 'preact/hooks';
import { api, segment } from '../api.ts';
import type { LogEvent } from '../core/events.ts';

interface WholeOutput {
  sha256: string;
  chars: number;
}

/** An event's whole data, as text; a tool output cut in its event is loaded whole when asked for. */
export function Payload({ event }: { event: LogEvent }) {
  const whole = event.data.wholeOutput as WholeOutput | undefined;
  return (
    <div class="payload">
      <pre>{JSON.stringify(event.data, null, 2)}</pre>
      {whole && /^[0-9a-f]{64}$/.test(whole.sha256) ? <WholeToolOutput whole={whole} /> : null}
    </div>
  );
}

function WholeToolOutput({ whole }: { whole: WholeOutput }) {
  const [state, setState] = useState<{ text?: string; error?: string; loading?: boolean }>({});
  const load = () => {
    setState({ loading: true });
    api
      .get<unknown>(`/tool-outputs/${segment(whole.sha256)}`)
      .then((body) => setState({ text: outputText(body) }))
      .catch((error: unknown) => setState({ error: String(error) }));
  };
  if (state.text !== undefined) return <pre class="whole-output">{state.text}</pre>;
  return (
    <p>
      <button type="button" onClick={load} disabled={state.loading}>
        Load the whole output ({whole.chars.toLocaleString()} chars)
      </button>
      {state.error ? <span class="error"> {state.error}</span> : null}
    </p>
  );
}

/** The gateway may answer with the text itself or a JSON object holding it. */
function outputText(body: unknown): string {
  if (typeof body === 'string') return body;
  const output = (body as { output?: unknown } | null)?.output;
  return typeof output === 'string' ? output : JSON.stringify(body, null, 2);
}
