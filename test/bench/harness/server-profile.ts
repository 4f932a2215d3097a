import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@signalbox/testing';

/**
 * nats-server's own CPU profile over a measured stretch, asked of Go's pprof endpoint that
 * `--profile <port>` opens (on the server's address, loopback here). Only when `BENCH_CPU_PROFILE`
 * names a directory; the profile is written there as `<name>.pprof`: `go tool pprof -top <file>`.
 */
export interface ServerProfile {
  /** The arguments that open the endpoint, for startNatsServer; none when no profile was asked for. */
  readonly args: string[];
  /** Profiles the server for `seconds` from now and writes the file; its path, or undefined when none was asked for. */
  record(name: string, seconds: number): Promise<string | undefined>;
}

export async function serverProfile(): Promise<ServerProfile> {
  const directory = process.env['BENCH_CPU_PROFILE'];
  if (!directory) return { args: [], record: async () => undefined };
  const port = await freePort();
  return {
    args: ['--profile', String(port)],
    record: async (name, seconds) => {
      const response = await fetch(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=${Math.max(1, Math.round(seconds))}`);
      if (!response.ok) throw new Error(`nats-server's profile endpoint answered ${response.status}`);
      const file = join(directory, `${name}.pprof`);
      await writeFile(file, Buffer.from(await response.arrayBuffer()));
      return file;
    },
  };
}
