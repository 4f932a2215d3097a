import { jetstreamManager } from '@nats-io/jetstream';
import { naming } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeConfig } from './config.ts';
import { consumersInUse, holdConsumer } from './consumers-in-use.ts';
import { startDurableWorker } from './durable-worker.ts';
import { createLogger } from './logger.ts';
import { askWhatIsMissing } from './readiness.ts';
import { startHost, type Host, type Service } from './service.ts';

/** A host's /healthz and /readyz against a real server: what each says as the server, its streams and the host change. */
let server: NatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.dispose();
});

const logger = createLogger({ service: 'test', instance: 'test', level: 'silent' });
const config = () => RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'health-test', health: { port: 0 } });

/** A service pulling from one durable on the jobs stream; its stop waits for `release` when given one. */
function pullingService(durable: string, release?: Promise<void>): Service {
  return {
    name: 'puller',
    start: async ({ nc, names }) => {
      const worker = await startDurableWorker({ nc, names, logger, stream: names.streams.jobs, durable, filterSubject: `${names.prefix}.jobs.${durable}`, deadLetterSource: 'jobs', handle: async () => undefined });
      return {
        stop: async () => {
          await release;
          await worker.stop();
        },
      };
    },
  };
}

async function readiness(host: Host): Promise<{ status: number; body: { ready: boolean; reasons: string[] } }> {
  const response = await fetch(`${host.healthUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as { ready: boolean; reasons: string[] } };
}

describe("a host's health endpoint", () => {
  it('is not served unless a port is set', async () => {
    const host = await startHost([], RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent' }));
    expect(host.healthUrl).toBeUndefined();
    await host.stop();
  });

  it('says ready once started, with the durables its services pull from present', async () => {
    const host = await startHost([pullingService('health-a')], config());
    expect(host.healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(consumersInUse(host.nc)).toEqual([{ stream: 'SBX_JOBS', durable: 'health-a' }]);
    expect(await readiness(host)).toEqual({ status: 200, body: expect.objectContaining({ ready: true, reasons: [] }) });
    await host.stop();
    expect(consumersInUse(host.nc)).toEqual([]);
  });

  it('names a durable the process pulls from that the server lacks', async () => {
    const host = await startHost([], config());
    const forget = holdConsumer(host.nc, { stream: 'SBX_JOBS', durable: 'never-made' });
    expect(await askWhatIsMissing(host.nc, naming('sbx'), 2_000)).toEqual({ missingStreams: [], missingConsumers: ['SBX_JOBS/never-made'] });
    forget();
    await host.stop();
  });

  it('says which stream is missing', async () => {
    const host = await startHost([], config());
    await (await jetstreamManager(host.nc)).streams.delete('SBX_DLQ');
    await expect.poll(async () => (await readiness(host)).body.reasons).toEqual(['missing streams: stream SBX_DLQ']);
    expect((await readiness(host)).status).toBe(503);
    await host.stop();
    // Put back for the other tests.
    await (await startHost([], config())).stop();
  });

  it('says draining from the moment a stop begins, while liveness still answers', async () => {
    let release!: () => void;
    const host = await startHost([pullingService('health-b', new Promise<void>((resolve) => (release = resolve)))], config());
    const stopped = host.stop();
    expect(await readiness(host)).toEqual({ status: 503, body: expect.objectContaining({ ready: false, reasons: ['draining'] }) });
    expect((await fetch(`${host.healthUrl}/healthz`)).status).toBe(200);
    release();
    await stopped;
    await expect(fetch(`${host.healthUrl}/healthz`)).rejects.toThrow();
  });

  it('says not connected while the server is down, and ready again after it returns; alive throughout', async () => {
    const host = await startHost([pullingService('health-c')], config());
    await server.stop();
    await expect.poll(async () => (await readiness(host)).body.reasons).toContain('not connected to NATS');
    expect((await fetch(`${host.healthUrl}/healthz`)).status).toBe(200);
    await server.restart();
    await expect.poll(async () => (await readiness(host)).status).toBe(200);
    await host.stop();
  });
});
