import { useState } from 'preact/hooks';
import { api, segment } from '../api.ts';
import type { WaitingApproval } from '../core/session-view.ts';

/** The calls this session holds for a person, each with its input and the two answers. */
export function Approvals({ waiting }: { waiting: readonly WaitingApproval[] }) {
  if (waiting.length === 0) return null;
  return (
    <section class="panel approvals">
      <h2>Waiting for approval</h2>
      {waiting.map((approval) => (
        <ApprovalCard key={approval.approvalId} approval={approval} />
      ))}
    </section>
  );
}

function ApprovalCard({ approval }: { approval: WaitingApproval }) {
  const [state, setState] = useState<{ sent?: string; error?: string }>({});
  const answer = (verdict: 'approve' | 'deny') => {
    setState({ sent: verdict });
    api
      .post(`/approvals/${segment(approval.approvalId)}/${verdict}`, {})
      .catch((error: unknown) => setState({ error: String(error) }));
  };
  return (
    <div class="approval" data-approval={approval.approvalId}>
      <p>
        <strong>{approval.tool}</strong> (event #{approval.n}), denied if unanswered by {new Date(approval.deadline).toLocaleString()}
      </p>
      <pre>{approval.input}</pre>
      <button type="button" class="approve" disabled={state.sent !== undefined} onClick={() => answer('approve')}>
        Approve
      </button>{' '}
      <button type="button" class="deny" disabled={state.sent !== undefined} onClick={() => answer('deny')}>
        Deny
      </button>
      {state.sent && !state.error ? <span class="muted"> sent ({state.sent}), waiting for the session…</span> : null}
      {state.error ? <span class="error"> {state.error}</span> : null}
    </div>
  );
}
