// A process logging through createLogger's shared stdout, for logger-stdout.test.ts:
// `node logger-stdout.fixture.ts <lines> exit|signal|stay`.
import { createLogger } from './logger.ts';

const [count = '1', ending = 'exit'] = process.argv.slice(2);
const logger = createLogger({ service: 'fixture', instance: 'i', level: 'info' });
for (let line = 1; line <= Number(count); line++) logger.info({ line }, 'logged');
if (ending === 'exit') process.exit(0);
if (ending === 'signal') {
  // As stopOnSignals ends a service: the process exits from its SIGTERM handler.
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write('waiting\n');
}
// 'stay' and 'signal' keep the process up until the test stops it.
setInterval(() => undefined, 1_000);
