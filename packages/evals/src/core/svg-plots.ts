import type { Intervention } from './record.ts';
import type { ConfigurationReport } from './report.ts';
import { dollars, percent } from './table.ts';

/** Text for HTML and SVG, elements and attributes alike: every string from a run goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const size = { width: 540, height: 320, left: 64, right: 24, top: 20, bottom: 48 };
const plotWidth = size.width - size.left - size.right;
const plotHeight = size.height - size.top - size.bottom;

/** A scale from [0, max] onto [0, length] pixels, with round tick values. */
function scale(max: number, length: number): { at: (value: number) => number; ticks: number[] } {
  const top = max > 0 ? niceCeiling(max) : 1;
  return { at: (value) => (value / top) * length, ticks: [0, 0.25, 0.5, 0.75, 1].map((share) => share * top) };
}

function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 2.5, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

/** The axes, grid and labels every plot shares. */
function frame(title: string, x: { label: string; ticks: number[]; at: (value: number) => number; text: (value: number) => string }, y: { label: string; ticks: number[]; at: (value: number) => number; text: (value: number) => string }, body: string): string {
  const px = (value: number) => size.left + x.at(value);
  const py = (value: number) => size.top + plotHeight - y.at(value);
  const grid = [
    ...y.ticks.map((tick) => `<line x1="${size.left}" x2="${size.left + plotWidth}" y1="${py(tick)}" y2="${py(tick)}" class="grid"/><text x="${size.left - 6}" y="${py(tick) + 4}" text-anchor="end">${escapeHtml(y.text(tick))}</text>`),
    ...x.ticks.map((tick) => `<text x="${px(tick)}" y="${size.top + plotHeight + 16}" text-anchor="middle">${escapeHtml(x.text(tick))}</text>`),
  ].join('');
  const axes = `<line x1="${size.left}" x2="${size.left}" y1="${size.top}" y2="${size.top + plotHeight}" class="axis"/><line x1="${size.left}" x2="${size.left + plotWidth}" y1="${size.top + plotHeight}" y2="${size.top + plotHeight}" class="axis"/>`;
  const labels = `<text x="${size.left + plotWidth / 2}" y="${size.height - 8}" text-anchor="middle" class="label">${escapeHtml(x.label)}</text><text transform="translate(14 ${size.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" class="label">${escapeHtml(y.label)}</text>`;
  return `<svg viewBox="0 0 ${size.width} ${size.height}" width="${size.width}" height="${size.height}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">${grid}${axes}${labels}${body}</svg>`;
}

/**
 * Success rate (with its Wilson interval) against mean cost per run, a point per configuration. When
 * every run cost nothing (a scripted model), cost is counted in model turns instead, and says so.
 */
export function successCostPlot(reports: readonly ConfigurationReport[]): string {
  const inTurns = reports.every((report) => report.meanCostUsd === 0);
  const costOf = (report: ConfigurationReport) => (inTurns ? report.meanSteps : report.meanCostUsd);
  const x = scale(Math.max(0, ...reports.map(costOf)), plotWidth);
  const y = scale(1, plotHeight);
  const px = (value: number) => size.left + x.at(value);
  const py = (value: number) => size.top + plotHeight - y.at(value);
  const placed = new Map<string, number>();
  const points = reports.map((report, index) => {
    const colour = palette[index % palette.length] as string;
    const [cx, cy] = [px(costOf(report)), py(report.successRate)];
    // Configurations at the same point get their labels one under another.
    const spot = `${Math.round(cx)},${Math.round(cy)}`;
    const below = placed.get(spot) ?? 0;
    placed.set(spot, below + 1);
    const bar = `<line x1="${cx}" x2="${cx}" y1="${py(report.interval.low)}" y2="${py(report.interval.high)}" stroke="${colour}" stroke-width="2"/><line x1="${cx - 5}" x2="${cx + 5}" y1="${py(report.interval.low)}" y2="${py(report.interval.low)}" stroke="${colour}"/><line x1="${cx - 5}" x2="${cx + 5}" y1="${py(report.interval.high)}" y2="${py(report.interval.high)}" stroke="${colour}"/>`;
    const tip = `${report.configuration}: ${percent(report.successRate)} (${percent(report.interval.low)}-${percent(report.interval.high)}), ${dollars(report.meanCostUsd)} and ${report.meanSteps.toFixed(1)} turns a run`;
    const labelY = cy < size.top + 40 ? cy + 16 + below * 14 : cy - 8 - below * 14;
    return `<g>${bar}<circle cx="${cx}" cy="${cy}" r="6" fill="${colour}"><title>${escapeHtml(tip)}</title></circle><text x="${cx + 9}" y="${labelY}" class="point" fill="${colour}">${escapeHtml(report.configuration)}</text></g>`;
  });
  return frame(
    'success against cost',
    inTurns ? { label: 'mean model turns a run (every run cost $0)', ...x, text: (value) => String(Math.round(value * 10) / 10) } : { label: 'mean cost a run (USD)', ...x, text: (value) => `$${value.toPrecision(2)}` },
    { label: 'success (Wilson 95%)', ...y, text: (value) => percent(value) },
    points.join(''),
  );
}

/** Each intervention: model turns (x) and seconds (y) from its first evidence to it, coloured by detector and action. */
export function interventionTimingPlot(interventions: readonly Intervention[]): string {
  const timed = interventions.flatMap((intervention) => (intervention.timing ? [{ ...intervention, timing: intervention.timing }] : []));
  // A turn of headroom, so the latest interventions sit inside the frame.
  const x = scale(Math.max(1, ...timed.map((intervention) => intervention.timing.steps + 1)), plotWidth);
  const y = scale(Math.max(0, ...timed.map((intervention) => intervention.timing.seconds)), plotHeight);
  const kindOf = (intervention: Intervention) => `${intervention.detector}/${intervention.action}`;
  const kinds = [...new Set(timed.map(kindOf))].sort();
  const colourOf = (kind: string) => palette[kinds.indexOf(kind) % palette.length] as string;
  const points = timed.map((intervention, index) => {
    // A little sideways spread so interventions at the same point stay visible.
    const cx = size.left + x.at(intervention.timing.steps) + ((index % 5) - 2) * 2;
    const cy = size.top + plotHeight - y.at(intervention.timing.seconds);
    const tip = `${intervention.detector}/${intervention.action} at event ${intervention.n}: ${intervention.timing.steps} turns, ${intervention.timing.seconds.toFixed(2)} s after its first evidence`;
    return `<circle cx="${cx}" cy="${cy}" r="5" fill="${colourOf(kindOf(intervention))}" fill-opacity="0.75"><title>${escapeHtml(tip)}</title></circle>`;
  });
  const legend = kinds.map((kind, index) => `<g transform="translate(${size.left + 12} ${size.top + 12 + index * 16})"><circle r="5" fill="${colourOf(kind)}"/><text x="10" y="4">${escapeHtml(kind)}</text></g>`);
  const body = timed.length === 0 ? `<text x="${size.left + plotWidth / 2}" y="${size.top + plotHeight / 2}" text-anchor="middle" class="label">no interventions</text>` : points.join('') + legend.join('');
  return frame(
    'intervention timing',
    { label: 'model turns from first evidence to intervention', ...x, text: (value) => String(Math.round(value * 10) / 10) },
    { label: 'seconds', ...y, text: (value) => value.toPrecision(2) },
    body,
  );
}
