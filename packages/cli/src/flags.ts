/** A count from the command line (steps, events, a limit): a whole number of at least `min`, else an error in the flag's own words. */
export function wholeNumberFlag(flag: string, text: string, min = 1): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min) throw new Error(`${flag} must be a whole number of at least ${min}, not ${JSON.stringify(text)}`);
  return value;
}

/** An amount from the command line (dollars): a finite number above zero, else an error in the flag's own words. */
export function positiveNumberFlag(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a number above 0, not ${JSON.stringify(text)}`);
  return value;
}

