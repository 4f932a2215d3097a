import { useState } from 'preact/hooks';
import { api, segment } from '../api.ts';

/** What a person can do to a session in each status: a finished one takes nothing. */
const controls: Record<string, readonly Control[]> = {
  running: ['pause', 'interrupt', 'send'],
  idle: ['pause', 'send'],
  paused: ['resume', 'send'],
};
type Control = 'pause' | 'resume' | 'interrupt' | 'send';
const labels: Record<Control, string> = { pause: 'Pause', resume: 'Resume', interrupt: 'Interrupt', send: 'Send' };

/**
 * Steering a live session: pause and resume it, stop its running step, and write to it. Each is a
 * command on the session's inbox (the same as `signalbox pause|resume|interrupt|send`), recorded under
 * the token's name; the timeline shows when the session took it.
 */
export function Steer({ sessionId, status }: { sessionId: string; status: string }) {
  const [text, setText] = useState('');
  const [cutIn, setCutIn] = useState(false);
  const [state, setState] = useState<{ sent?: string; error?: string }>({});
  const allowed = controls[status];
  if (!allowed) return null;
  const post = (action: string, body: unknown, done?: () => void) => {
    setState({ sent: action });
    api
      .post(`/sessions/${segment(sessionId)}/${action}`, body)
      .then(() => {
        setState({});
        done?.();
      })
      .catch((error: unknown) => setState({ error: `${action}: ${String(error)}` }));
  };
  const send = (event: Event) => {
    event.preventDefault();
    if (text.trim() === '') return;
    const interrupt = cutIn && status === 'running';
    post('send', interrupt ? { text, interrupt } : { text }, () => setText(''));
  };
  const busy = state.sent !== undefined && state.error === undefined;
  return (
    <section class="panel steer">
      <h2>Steer</h2>
      <p>
        {allowed.includes('pause') ? <Button action="pause" busy={busy} onClick={() => post('pause', {})} /> : null}
        {allowed.includes('resume') ? <Button action="resume" busy={busy} onClick={() => post('resume', {})} /> : null}
        {allowed.includes('interrupt') ? <Button action="interrupt" busy={busy} onClick={() => post('interrupt', {})} /> : null}
        {busy ? <span class="muted"> sending {state.sent}…</span> : null}
        {state.error ? <span class="error"> {state.error}</span> : null}
      </p>
      <form class="send" onSubmit={send}>
        <textarea name="message" rows={2} maxLength={100_000} placeholder={status === 'running' ? 'A message for its next turn' : 'A message'} value={text} onInput={(event) => setText(event.currentTarget.value)} />
        <p>
          <button type="submit" class="send" disabled={busy || text.trim() === ''}>
            {labels.send}
          </button>
          {status === 'running' ? (
            <label>
              {' '}
              <input type="checkbox" name="interrupt" checked={cutIn} onChange={(event) => setCutIn(event.currentTarget.checked)} /> stop the running step first
            </label>
          ) : null}
        </p>
      </form>
    </section>
  );
}

function Button({ action, busy, onClick }: { action: Control; busy: boolean; onClick: () => void }) {
  return (
    <>
      <button type="button" class={action} disabled={busy} onClick={onClick}>
        {labels[action]}
      </button>{' '}
    </>
  );
}
