import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { runContainers } from './container-runtime.ts';
import { currentHarness, handedOverHarness, type Harness } from './harness-choice.ts';
import { freePort } from './free-port.ts';
import { launchOnFreePorts, startNatsServer } from './nats-server.ts';
import type { LaunchServer } from './running-server.ts';
import { processLauncher } from './server-process.ts';

const choice = await currentHarness();
// The container tests run whenever Docker is there, whichever harness the run chose.
const harnesses: Harness[] = choice.image ? ['process', 'container'] : ['process'];

describe('the run', () => {
  it('starts servers on the harness its global setup chose, handed to this worker', async () => {
    expect(handedOverHarness()).toEqual(choice);
    // Chosen in vitest's main process, not in this worker.
    expect(choice.run.owner).not.toBe(`${hostname()}:${process.pid}`);
    const server = await startNatsServer();
    await server.dispose();
    expect(server.harness).toBe(choice.harness);
  });
});

describe.each(harnesses)('startNatsServer on the %s harness', (harness) => {
  it('answers, and keeps a stream and its messages over kill -9 and restart', async () => {
    const server = await startNatsServer({ harness });
    try {
      expect(server.pid).toBeGreaterThan(0);
      let nc = await connect({ servers: server.url });
      await (await jetstreamManager(nc)).streams.add({ name: 'KEEP', subjects: ['keep.>'] });
      await jetstream(nc).publish('keep.one', 'kept');
      await nc.close();

      await server.kill();
      expect(server.pid).toBeUndefined();
      await server.restart();

      nc = await connect({ servers: server.url });
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('KEEP')).state.messages).toBe(1);
      expect((await jsm.streams.getMessage('KEEP', { seq: 1 }))?.string()).toBe('kept');
      await nc.close();
    } finally {
      await server.dispose();
    }
  });

  it('stops answering while frozen and answers again once thawed', async () => {
    const server = await startNatsServer({ harness });
    const nc = await connect({ servers: server.url });
    try {
      await server.freeze();
      await expect(fetch(`${server.monitorUrl}/healthz`, { signal: AbortSignal.timeout(500) })).rejects.toThrow();
      await server.thaw();
      expect((await fetch(`${server.monitorUrl}/healthz`)).ok).toBe(true);
      await nc.flush();
    } finally {
      await nc.close();
      await server.dispose();
    }
  });

  it('passes a config file to the server', async () => {
    const server = await startNatsServer({ harness, config: 'max_payload: 65536\njetstream { sync_interval: always }\n' });
    try {
      const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { max_payload: number; jetstream: { config: { sync_always?: boolean } } };
      expect(varz.max_payload).toBe(65_536);
      expect(varz.jetstream.config.sync_always).toBe(true);
    } finally {
      await server.dispose();
    }
  });
});

// Skipped where no Docker daemon answers or no image can be built: the harness then runs nats-server as
// processes, which the tests above cover; the reason is in the suite's name.
describe.skipIf(!choice.image)(`containers${choice.image ? '' : ` (skipped: ${choice.why})`}`, () => {
  it("carry the run's labels, and are gone once their server is disposed of", async () => {
    const server = await startNatsServer({ harness: 'container' });
    // Other test files of the run start containers meanwhile: this server's is the one given its monitor port.
    const own = async () => (await runContainers(choice.run)).filter(({ command }) => command.includes(` -m ${new URL(server.monitorUrl).port} `));
    expect(await own()).toHaveLength(1);
    await server.dispose();
    expect(await own()).toEqual([]);
  });
});

describe('launching on free ports', () => {
  it('picks other ports when another process binds the server\'s port between the pick and the bind', async () => {
    const blockers: Server[] = [];
    const blocked: number[] = [];
    const launch: LaunchServer = async (args) => {
      // The first launch finds its port taken, as when another test process picked it too.
      if (blocked.length === 0) {
        const port = Number(args[args.indexOf('-p') + 1]);
        blocked.push(port);
        blockers.push(await listening(port));
      }
      return processLauncher(choice.binary)(args);
    };
    const storeDir = await mkdtemp(join(tmpdir(), 'sbx-nats-race-'));
    try {
      const { running, port } = await launchOnFreePorts(launch, (server, monitor) => ['-a', '127.0.0.1', '-p', String(server), '-m', String(monitor), '-js', '-sd', storeDir], undefined);
      expect(blocked).toHaveLength(1);
      expect(port).not.toBe(blocked[0]);
      const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
      await nc.close();
      await running.stop();
    } finally {
      await Promise.all(blockers.map((blocker) => new Promise((resolve) => blocker.close(resolve))));
      await rm(storeDir, { recursive: true, force: true });
    }
  });

  it('gives up on a port the caller chose that stays taken, saying why', async () => {
    const port = await freePort();
    const blocker = await listening(port);
    try {
      await expect(startNatsServer({ harness: 'process', port })).rejects.toThrow(/address already in use/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

function listening(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
