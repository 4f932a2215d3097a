import { describe, expect, it } from 'vitest';
import { ToolJob } from './commands.ts';

const job = { sessionId: 's', correlationId: 's', callId: 'c1', tool: 'kb.lookup', input: {}, idempotencyKey: 's/c1' };

describe('ToolJob', () => {
  it('says its run is no fork only with `unforkedRun: true`; anything else there is refused, not read as false', () => {
    expect(ToolJob.parse({ ...job, unforkedRun: true }).unforkedRun).toBe(true);
    expect(ToolJob.parse(job).unforkedRun).toBeUndefined();
    for (const unforkedRun of [false, 'yes', 1, null, {}]) expect(ToolJob.safeParse({ ...job, unforkedRun }).success).toBe(false);
  });
});
