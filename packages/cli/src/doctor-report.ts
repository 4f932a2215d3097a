import type { DoctorFacts, Finding, FindingLevel, StreamFact } from './doctor-checks.ts';
import { describeSync, featuresOf } from './doctor-checks.ts';

const markers: Record<FindingLevel, { mark: string; colour: string }> = {
  ok: { mark: '✓', colour: '\x1b[32m' },
  warn: { mark: '!', colour: '\x1b[33m' },
  error: { mark: '✗', colour: '\x1b[31m' },
};

/** The human-readable report, one string per line. */
export function formatReport(facts: DoctorFacts, findings: Finding[], colour = false): string[] {
  const { jetstream, cluster } = facts;
  const lines = [
    `signalbox doctor · ${facts.natsUrl} · prefix ${facts.prefix}`,
    '',
    row('server', `nats-server ${facts.server.version}${facts.server.name === facts.server.id ? '' : ` (${facts.server.name})`} · max payload ${formatBytes(facts.server.maxPayload)}`),
    row(
      'jetstream',
      jetstream.enabled
        ? `enabled${jetstream.domain ? ` (domain ${jetstream.domain})` : ''} · ${plural(jetstream.streams, 'stream')} · ${plural(jetstream.consumers, 'consumer')} · ${formatBytes(jetstream.storage)} on disk`
        : `not available: ${jetstream.reason}`,
    ),
    row('cluster', cluster ? `${cluster.name}${cluster.nodes === undefined ? '' : ` · ${cluster.nodes} nodes`}` : 'none (single server)'),
    row('fsync', `${describeSync(facts.sync)}${facts.sync.node ? ` [read from ${facts.sync.node}]` : ''}`),
    '',
    'server features Signalbox uses',
    ...featuresOf(facts.server.version).map(
      (use) => `  ${use.available ? markers.ok.mark : markers.error.mark} ${use.feature} (${use.since}+): ${use.usedFor}`,
    ),
  ];
  if (facts.streams.length > 0) {
    const width = Math.max(...facts.streams.map((stream) => stream.name.length));
    lines.push('', 'streams', ...facts.streams.map((stream) => `  ${stream.name.padEnd(width)}  ${streamSettings(stream)}`));
  }
  if (facts.buckets.length > 0) {
    const missing = facts.buckets.filter((bucket) => !bucket.present);
    const present = facts.buckets.length - missing.length;
    lines.push(row('buckets', `${present} of ${facts.buckets.length} present${missing.length ? `; missing ${missing.map((bucket) => bucket.name).join(', ')}` : ''}`));
  }
  if (facts.workers.length > 0) {
    const width = Math.max(...facts.workers.map((pool) => pool.name.length));
    lines.push(
      '',
      'workers (shared consumers of the work queues)',
      ...facts.workers.map((pool) => `  ${pool.name.padEnd(width)}  ${pool.filter} · ${pool.waiting} waiting · ${pool.inProgress} in progress · ${plural(pool.pulls, 'pull')}`),
    );
  }
  lines.push('', ...formatFindings(findings, colour));
  return lines;
}

/** The findings section of a report, each with its mark. */
export function formatFindings(findings: Finding[], colour = false): string[] {
  return [
    'findings',
    ...findings.map((finding) => {
      const { mark, colour: code } = markers[finding.level];
      return `  ${colour ? `${code}${mark}\x1b[0m` : mark} ${finding.message}`;
    }),
  ];
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function row(label: string, value: string): string {
  return `${label.padEnd(10)}  ${value}`;
}

function streamSettings(stream: StreamFact): string {
  if (stream.status === 'missing') return 'missing';
  const parts = [
    `R${stream.replicas}`,
    stream.storage,
    stream.retention,
    `max msg ${formatBytes(stream.maxMsgSize)}`,
    `dedup ${formatDuration(stream.duplicateWindowMs)}`,
    ...(stream.maxAgeMs > 0 ? [`max age ${formatDuration(stream.maxAgeMs)}`] : []),
    plural(stream.messages, 'message'),
    formatBytes(stream.bytes),
    plural(stream.consumers, 'consumer'),
    ...(stream.leader ? [`leader ${stream.leader}`] : []),
  ];
  return parts.join(' · ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 0) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  const steps: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1_000, 's'],
  ];
  for (const [size, unit] of steps) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
