import type { NatsConnection } from '@nats-io/nats-core';
import { SignalboxClient } from '@signalbox/client';
import { naming } from '@signalbox/events';
import { connectAuthenticated, natsAuthFromEnv, NatsConnectionError, readEnvironment, type ConnectSettings, type NatsAuth } from '@signalbox/runtime';
import { requireSupportedServer } from '@signalbox/store';
import { ensureSetUp, type SetUpNeed } from './set-up.ts';

export interface GlobalOptions {
  nats?: string;
  natsUser?: string;
  natsPassword?: string;
  natsToken?: string;
  natsNkey?: string;
  natsCreds?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
  natsInboxPrefix?: string;
  prefix: string;
  json?: boolean;
}

export const defaultNatsUrl = 'nats://127.0.0.1:4222';

export function natsUrlOf(options: GlobalOptions): string {
  return options.nats ?? readEnvironment().NATS_URL ?? defaultNatsUrl;
}

/** The NATS credentials of a command: its flags over the SIGNALBOX_NATS_* variables, field by field. */
export function natsAuthOf(options: GlobalOptions): NatsAuth {
  const flags: NatsAuth = {
    user: options.natsUser,
    password: options.natsPassword,
    token: options.natsToken,
    nkeySeedFile: options.natsNkey,
    credsFile: options.natsCreds,
    tlsCa: options.natsTlsCa,
    tlsCert: options.natsTlsCert,
    tlsKey: options.natsTlsKey,
    inboxPrefix: options.natsInboxPrefix,
  };
  const given = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  return { ...natsAuthFromEnv(), ...given };
}

/** Connects a command to NATS, or says what went wrong (credentials refused, TLS, nothing answering at `url`, masked). */
export async function connectTo(url: string, auth: NatsAuth, settings: Omit<ConnectSettings, 'timeout'> = {}): Promise<NatsConnection> {
  try {
    return await connectAuthenticated(url, auth, { ...settings, timeout: 3_000 });
  } catch (error) {
    if (!(error instanceof NatsConnectionError) || error.code !== 'nats_unreachable') throw error;
    throw new NatsConnectionError(error.code, `${error.message}; start one with \`signalbox up\` or set --nats`, { cause: error });
  }
}

/**
 * Opens a client for one command and always closes the connection after it. First, what the command
 * needs of the streams and buckets: made when missing (a command that stores something new), or
 * there already, else one line says to run `signalbox init` (see set-up.ts).
 */
export async function withClient<T>(options: GlobalOptions, work: (client: SignalboxClient) => Promise<T>, need: SetUpNeed = 'create-if-missing'): Promise<T> {
  const nc = await connectTo(natsUrlOf(options), natsAuthOf(options));
  try {
    // An older server would get streams without the settings Signalbox relies on.
    requireSupportedServer(nc);
    await ensureSetUp(nc, naming(options.prefix), need);
    return await work(await SignalboxClient.open(nc, options.prefix));
  } finally {
    await nc.close();
  }
}

/** Colour only for a person at a terminal. */
export function useColour(): boolean {
  return Boolean(process.stdout.isTTY) && !readEnvironment().NO_COLOR;
}
