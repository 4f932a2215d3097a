import { styleText } from 'node:util';
import type { SessionEvent } from '@signalbox/events';
import { textsOf } from './event-texts.ts';

export type Style = Parameters<typeof styleText>[0];

/** `text` in `style` when colour is on; whether it is, the command decided (`useColour`). */
export function paint(colour: boolean, style: Style, text: string): string {
  return colour ? styleText(style, text, { validateStream: false }) : text;
}

/** Which timeline a line belongs to: a live one shows the time of day; a replay the time since the run's first event. */
export type TimelineView = { kind: 'live' } | { kind: 'replay'; start: number };

const live: TimelineView = { kind: 'live' };

/** One line per event, readable by a person: number, time, type and what matters about it. */
export function formatEvent(event: SessionEvent, colour: boolean, view: TimelineView = live): string {
  const texts = textsOf(event);
  const [time, typeWidth, text] =
    view.kind === 'live'
      ? [new Date(event.at).toISOString().slice(11, 23), 18, texts.live]
      : [`+${((event.at - view.start) / 1000).toFixed(3)}s`.padStart(9), 20, texts.headline];
  return `${paint(colour, 'dim', `#${String(event.n).padStart(3)} ${time}`)}  ${paint(colour, styleOf(event), event.type.padEnd(typeWidth))} ${text}`;
}

function styleOf(event: SessionEvent): Style {
  if (event.type === 'session.completed') return event.data.status === 'succeeded' ? 'green' : 'red';
  if (event.type.endsWith('failed') || event.type === 'budget.exceeded' || event.type === 'tool.outcome_unknown') return 'red';
  if (event.type.startsWith('model.')) return 'cyan';
  if (event.type.startsWith('tool.')) return 'yellow';
  return 'bold';
}
