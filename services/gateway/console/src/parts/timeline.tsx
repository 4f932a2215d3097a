import { useState } from 'preact/hooks';
import { clip, summarise, tone, type LogEvent } from '../core/events.ts';
import { Payload } from './payload.tsx';

export interface TimelineProps {
  events: readonly LogEvent[];
  /** Offered on every event when given: a new session from the first n events. */
  onFork?: (n: number) => void;
  compact?: boolean;
}

const time = (at: number) => new Date(at).toISOString().slice(11, 23);

/** Lines a timeline shows at first, and how many more each ask for earlier ones adds: a long log's page stays light. */
export const timelineWindow = 500;

/** A session's events, one line each, the latest `timelineWindow` until earlier ones are asked for; a line opens to the event's whole data. */
export function Timeline({ events, onFork, compact = false }: TimelineProps) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const [shown, setShown] = useState(timelineWindow);
  const toggle = (n: number) => setOpen((was) => (was.has(n) ? new Set([...was].filter((other) => other !== n)) : new Set([...was, n])));
  if (events.length === 0) return <p class="muted">No events yet.</p>;
  const hidden = Math.max(0, events.length - shown);
  return (
    <>
      {hidden > 0 ? (
        <button type="button" class="earlier link" onClick={() => setShown(shown + timelineWindow)}>
          Show {Math.min(hidden, timelineWindow)} earlier events · {hidden.toLocaleString('en')} not shown
        </button>
      ) : null}
      <Lines events={hidden > 0 ? events.slice(hidden) : events} open={open} toggle={toggle} onFork={onFork} compact={compact} />
    </>
  );
}

interface LinesProps extends Required<Pick<TimelineProps, 'events' | 'compact'>>, Pick<TimelineProps, 'onFork'> {
  open: ReadonlySet<number>;
  toggle: (n: number) => void;
}

function Lines({ events, open, toggle, onFork, compact }: LinesProps) {
  return (
    <ol class={compact ? 'timeline compact' : 'timeline'}>
      {events.map((event) => (
        <li key={event.n} class={`event tone-${tone(event.type)}`} data-n={event.n} data-type={event.type}>
          <div class="event-line">
            <span class="n">#{event.n}</span>
            {compact ? null : <span class="at">{time(event.at)}</span>}
            <button type="button" class="type link" aria-expanded={open.has(event.n)} onClick={() => toggle(event.n)}>
              {event.type}
            </button>
            <span class="summary">{compact ? clip(summarise(event), 60) : summarise(event)}</span>
            {onFork ? (
              <button type="button" class="fork small" title={`A new session from events 1 to ${event.n}`} onClick={() => onFork(event.n)}>
                fork here
              </button>
            ) : null}
          </div>
          {open.has(event.n) ? <Payload event={event} /> : null}
        </li>
      ))}
    </ol>
  );
}
