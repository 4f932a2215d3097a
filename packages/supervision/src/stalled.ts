import type { SupervisionAction, SupervisionConfig } from '@signalbox/events';

/**
 * The stalled detector judges time, not events: a running session that records nothing for `afterMs`
 * is re-driven once (its outstanding model or tool calls done again), and flagged with `action` if
 * it still records nothing. The supervisor service arms a durable timer per session for it.
 */
export interface StalledThresholds {
  enabled: boolean;
  /** How long a running session may record nothing (ms, by the log's clock and the timer's). */
  afterMs: number;
  /** What the finding does once the re-drive brought nothing; it climbs the ladder as the detector's others do. */
  action: SupervisionAction;
}

/**
 * Ten minutes: longer than a slow model turn or a long build, so a healthy run is never re-driven,
 * and short enough that a lost job does not hold a session for hours.
 */
export const stalledDefaults: StalledThresholds = { enabled: true, afterMs: 600_000, action: 'pause' };

/** The stalled detector's settings for an agent's `supervision:` (off with `supervision: false`). */
export function stalledSettingsOf(config: SupervisionConfig | undefined): StalledThresholds {
  if (config === false) return { ...stalledDefaults, enabled: false };
  const { enabled, afterMs, action } = config?.stalled ?? {};
  return { enabled: enabled ?? stalledDefaults.enabled, afterMs: afterMs ?? stalledDefaults.afterMs, action: action ?? stalledDefaults.action };
}
