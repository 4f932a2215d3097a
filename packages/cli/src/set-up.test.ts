import { naming } from '@signalbox/events';
import { assetLabel, requiredAssets } from '@signalbox/store';
import { describe, expect, it } from 'vitest';
import { notSetUpLine } from './set-up.ts';

const everything = requiredAssets(naming('sbx')).map(assetLabel);

describe('the line a command prints when Signalbox is not set up', () => {
  it('says so in few words when nothing is there, names what is missing otherwise, and always names signalbox init', () => {
    expect(notSetUpLine('sbx', everything, everything.length)).toBe(
      'Signalbox is not set up on this NATS (no streams or buckets with prefix sbx): run `signalbox init` as a user allowed to manage JetStream (or start the services once: they create them)',
    );
    expect(notSetUpLine('sbx', ['stream SBX_TIMERS'], everything.length)).toMatch(/^Signalbox is not set up on this NATS \(missing stream SBX_TIMERS\): run `signalbox init`/);
    expect(notSetUpLine('sbx', everything, everything.length, { refused: true })).toBe(
      'Signalbox is not set up on this NATS (no streams or buckets with prefix sbx), and this NATS user may not create them: run `signalbox init` as a user allowed to manage JetStream',
    );
  });
});
