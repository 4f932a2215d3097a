import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { readEnvironment } from '@signalbox/runtime';

export interface GlobalOptions {
  nats?: string;
  prefix: string;
  json?: boolean;
}

export const defaultNatsUrl = 'nats://127.0.0.1:4222';

export function natsUrlOf(options: GlobalOptions): string {
  return options.nats ?? readEnvironment().NATS_URL ?? defaultNatsUrl;
}

/** Connects a command to NATS, or says what to do when nothing answers at `url`. */
export async function connectTo(url: string, settings: Omit<NodeConnectionOptions, 'servers' | 'timeout'> = {}): Promise<NatsConnection> {
  try {
    return await connect({ ...settings, servers: url, timeout: 3_000 });
  } catch (error) {
    throw new Error(`cannot reach NATS at ${url} (${(error as Error).message}); start one with \`signalbox up\` or set --nats`, { cause: error });
  }
}

/** Opens a client for one command and always closes the connection after it. */
export async function withClient<T>(options: GlobalOptions, work: (client: SignalboxClient) => Promise<T>): Promise<T> {
  const nc = await connectTo(natsUrlOf(options));
  try {
    return await work(await SignalboxClient.open(nc, options.prefix));
  } finally {
    await nc.close();
  }
}

/** Colour only for a person at a terminal. */
export function useColour(): boolean {
  return Boolean(process.stdout.isTTY) && !readEnvironment().NO_COLOR;
}
