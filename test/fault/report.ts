/** Fault tests say what they did (kills, sessions, events) on stderr, past the quiet-console guard. */
export function report(test: string, facts: Record<string, unknown>): void {
  const line = Object.entries(facts)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ');
  process.stderr.write(`[fault] ${test}: ${line}\n`);
}

/** A small seeded generator (mulberry32), so a run's choices can be repeated from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
