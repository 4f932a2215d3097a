import { naming } from '@signalbox/events';
import { isPermissionDenied, missingProvisioning, provision, ProvisioningRefusedError, requiredAssets } from '@signalbox/store';
import { provisioningUsers, startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeConfig } from './config.ts';
import { startHost, type Service } from './service.ts';

let server: NatsServer;

beforeAll(async () => {
  server = await startNatsServer({ config: provisioningUsers.config });
});
afterAll(async () => {
  await server.dispose();
});

function configAs(natsAuth: { user: string; password: string }, prefix: string): RuntimeConfig {
  return RuntimeConfig.parse({ natsUrl: server.url, natsAuth, prefix, logLevel: 'silent' });
}

describe('startHost', () => {
  it('on an empty server, as a user that may not manage JetStream, names what is missing and says to run signalbox init', async () => {
    const names = naming('empty');
    const refused = await startHost([], configAs(provisioningUsers.service, 'empty')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ProvisioningRefusedError);
    const error = refused as ProvisioningRefusedError;
    expect(error.missing).toHaveLength(requiredAssets(names).length);
    expect(error.message).toContain('stream EMPTY_EVENTS');
    expect(error.message).toContain('bucket empty-agents');
    expect(error.message).toContain('object store empty-workspace');
    expect(error.message).toContain('run `signalbox init` as a user allowed to manage JetStream');
  });

  it('makes what is missing, and then starts as a user that may not create or update a stream', async () => {
    const admin = await startHost([], configAs(provisioningUsers.admin, 'sbx'));
    expect(await missingProvisioning(admin.nc, naming('sbx'))).toEqual([]);
    await admin.stop();
    const service = await startHost([], configAs(provisioningUsers.service, 'sbx'));
    // So it did not provision: that updates every existing stream, which this user is refused.
    await expect(provision(service.nc, naming('sbx'))).rejects.toSatisfy(isPermissionDenied);
    await service.stop();
  });

  it('that fails in a service names the service, stops the ones started before it and closes its connection', async () => {
    let stopped = 0;
    const started: Service = { name: 'first', start: async () => ({ stop: async () => void stopped++ }) };
    const failing: Service = {
      name: 'second',
      start: async () => {
        throw new Error('timeout');
      },
    };
    // The earlier tests' hosts close their connections as they stop; the server may take a moment to see it.
    await expect.poll(connectionCount).toBe(0);
    await expect(startHost([started, failing], configAs(provisioningUsers.admin, 'sbx'))).rejects.toThrow(/^starting second: timeout$/);
    expect(stopped).toBe(1);
    await expect.poll(connectionCount).toBe(0);
  });
});

async function connectionCount(): Promise<number> {
  const connz = (await (await fetch(`${server.monitorUrl}/connz`)).json()) as { num_connections: number };
  return connz.num_connections;
}
