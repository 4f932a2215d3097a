import { readFileSync } from 'node:fs';
import { Help, type HelpConfiguration, type Option } from 'commander';
import { z } from 'zod';

/**
 * How every command's help reads: with the global options (`--nats`, `--prefix`, ...), which a
 * subcommand takes too, and with the options it cannot run without marked as required.
 */
export const helpSettings: HelpConfiguration = {
  showGlobalOptions: true,
  optionDescription(this: Help, option: Option): string {
    const description = Help.prototype.optionDescription.call(this, option);
    return option.mandatory ? `${description} (required)` : description;
  },
};

/** The CLI's version, as its package.json says. */
export function cliVersion(): string {
  const packageJson: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return z.object({ version: z.string() }).parse(packageJson).version;
}
