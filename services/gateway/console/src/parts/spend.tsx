import { usedShare, type SessionView } from '../core/session-view.ts';

function Meter({ label, used, limit, format }: { label: string; used: number; limit: number | undefined; format: (value: number) => string }) {
  const share = usedShare(used, limit);
  return (
    <div class="meter">
      <span class="meter-label">{label}</span>
      <span class="meter-value">
        {format(used)}
        {limit === undefined ? ' (no limit)' : ` of ${format(limit)}`}
      </span>
      {share === undefined ? null : (
        <span class={share >= 0.9 ? 'bar hot' : 'bar'}>
          <span style={{ width: `${Math.round(share * 100)}%` }} />
        </span>
      )}
    </div>
  );
}

/** Cost, steps and tool calls against the session's budget. */
export function Spend({ view }: { view: SessionView }) {
  return (
    <div class="spend">
      <Meter label="cost" used={view.costUsd} limit={view.budget.maxCostUsd} format={(value) => `$${value.toFixed(4)}`} />
      <Meter label="steps" used={view.steps} limit={view.budget.maxSteps} format={String} />
      <Meter label="tool calls" used={view.toolCalls} limit={view.budget.maxToolCalls} format={String} />
    </div>
  );
}
