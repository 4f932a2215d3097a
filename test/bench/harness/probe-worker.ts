/**
 * Runs in a worker thread: notes when each message on the given subjects passes the server, keyed by
 * `Nats-Msg-Id`. Its own event loop is idle, so a busy runtime on the main thread does not delay the note.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '@nats-io/transport-node';

const { url, subjects } = workerData as { url: string; subjects: string[] };
const clock = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const seen = new Map<string, number>();
const nc = await connect({ servers: url, name: 'bench-probe' });
for (const subject of subjects) {
  nc.subscribe(subject, {
    callback: (_error, message) => {
      const at = clock();
      const id = message.headers?.get('Nats-Msg-Id');
      if (id) seen.set(id, at);
    },
  });
}
await nc.flush();
parentPort?.on('message', () => {
  void nc.close().then(() => {
    parentPort?.postMessage([...seen]);
    parentPort?.close();
  });
});
parentPort?.postMessage('ready');
