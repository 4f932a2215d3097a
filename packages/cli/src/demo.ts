import { configFromEnv, maskNatsUrl, readEnvironment, startHost } from '@signalbox/runtime';
import { SignalboxClient } from '@signalbox/client';
import { fileURLToPath } from 'node:url';
import { connectTo, natsAuthOf, type GlobalOptions } from './connection.ts';
import { localDataDir } from './host-commands.ts';
import { ensureNats, stopLocalNats } from './local-nats.ts';
import { serviceCatalogue, servicesNamed } from './services.ts';
import { applyAgents, exitCodeOf, printTimeline } from './session-commands.ts';

const demoAgent = fileURLToPath(new URL('../../../deploy/agents/demo.yaml', import.meta.url));
const demoInput = 'Write a short note about Signalbox to notes/hello.md, read it back, and list the workspace.';

/** `signalbox demo`: the whole runtime in one process, one scripted session, its timeline live. */
export async function demo(options: GlobalOptions): Promise<void> {
  const environment = readEnvironment();
  const auth = natsAuthOf(options);
  const nats = await ensureNats(options.nats ?? environment.NATS_URL, localDataDir, { auth });
  if (nats.notice) console.log(`NATS: ${nats.notice}`);
  else console.log(`NATS: ${maskNatsUrl(nats.url)}${nats.child ? ' (started nats-server for this demo)' : ''}`);
  // Service logs stay out of the timeline unless LOG_LEVEL asks for them.
  const config = { ...configFromEnv(), natsUrl: nats.url, natsAuth: auth, prefix: options.prefix, ...(environment.LOG_LEVEL ? {} : { logLevel: 'warn' as const }) };
  // No gateway: the demo needs no HTTP port, and must not fail for want of one a running `up` holds.
  const host = await startHost(servicesNamed(Object.keys(serviceCatalogue).filter((name) => name !== 'gateway')), config);
  const nc = await connectTo(nats.url, auth);
  try {
    const connected = { ...options, nats: nats.url };
    await applyAgents(connected, demoAgent);
    const client = await SignalboxClient.open(nc, options.prefix);
    const outcome = await client.submit('demo', { input: demoInput });
    if (outcome.status === 'rejected') throw new Error(`demo task rejected: ${outcome.error}`);
    console.log(`session ${outcome.sessionId}\n`);
    process.exitCode = exitCodeOf(await printTimeline(connected, client, outcome.sessionId));
    console.log(`\nRead it again with: bin/signalbox inspect ${outcome.sessionId}`);
  } finally {
    await nc.close();
    await host.stop();
    await stopLocalNats(nats);
  }
}
