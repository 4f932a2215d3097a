// vitest's global setup: chooses how this run starts nats-server (containers when Docker is there,
// else processes) once, before any worker starts, and hands the choice to the workers through their
// environment. At the end it removes the run's containers that tests did not dispose of.
import { writeFile } from 'node:fs/promises';
import { chooseHarness, handOverHarness, removeRunContainers } from '@signalbox/testing';

export default async function setup(): Promise<() => Promise<void>> {
  const choice = await chooseHarness();
  handOverHarness(choice);
  // scripts/test.sh names a file here, to print the harness beside the run's counts.
  const reportFile = process.env['SIGNALBOX_TEST_HARNESS_REPORT'];
  if (reportFile) await writeFile(reportFile, JSON.stringify(choice));
  return async () => {
    if (choice.image) await removeRunContainers(choice.run);
  };
}
