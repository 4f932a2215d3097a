// Prints what the default detectors find in each labelled trajectory, beside its labels:
// node test/supervision/trajectory-report.ts
import { superviseLog } from '@signalbox/supervision';
import { labelledTrajectories, trajectoriesFolder, trajectoryEvents } from './trajectory-events.ts';

const trajectories = labelledTrajectories();
if (trajectories.length === 0) process.stdout.write(`no trajectories: ${trajectoriesFolder} is absent\n`);
for (const { file, trajectory, labels } of trajectories) {
  const { events, stepOf } = trajectoryEvents(trajectory);
  const found = superviseLog(events).findings.map((finding) => `${finding.detector}@${finding.evidence.map((n) => stepOf(n)).join(',')}`);
  const label = [labels.repetition ? `repetition@${labels.repetition_first_step}` : '', labels.error_spiral ? 'error_spiral' : '', labels.no_progress ? 'no_progress' : ''].filter(Boolean);
  process.stdout.write(`${file}\n  labels: ${label.join(' ') || '-'}\n  found:  ${found.join(' ') || '-'}\n`);
}
