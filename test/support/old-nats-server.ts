import { createServer, type Server } from 'node:net';
import { freePort } from '@signalbox/testing';

/** Just enough of the NATS protocol to let a client connect: the INFO of a server `version`, PONG to every PING. */
export interface OldNatsServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startOldNatsServer(version = '2.9.10'): Promise<OldNatsServer> {
  const port = await freePort();
  const info = { server_id: 'OLD', server_name: 'old', version, proto: 1, host: '127.0.0.1', port, headers: true, max_payload: 1 << 20, jetstream: true };
  const server: Server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.write(`INFO ${JSON.stringify(info)}\r\n`);
    socket.on('data', (chunk) => {
      for (const _ping of chunk.toString().matchAll(/PING\r\n/g)) socket.write('PONG\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `nats://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
