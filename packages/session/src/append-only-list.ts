/**
 * A list that only grows, as plain data (a snapshot encodes it as it is), shared between the versions
 * that grew it: an add copies the last chunk and, when that fills, the list of full chunks, never the
 * items before them. A session's conversation grows by a message a decision; copying its arrays whole
 * at every message cost a step 2.5 ms at 8,000 steps and 14 ms at 20,000 (NOTES, #25 twenty-third sitting).
 */
export interface AppendOnlyList<T> {
  /** Chunks of exactly `chunkSize` items, shared by every later version of the list. */
  readonly full: readonly (readonly T[])[];
  /** The items after them, fewer than `chunkSize`. */
  readonly last: readonly T[];
}

/**
 * Small enough that copying the last chunk costs what copying a short conversation did; large enough
 * that the list of chunks stays short (156 entries at 40,000 items).
 */
export const chunkSize = 256;

/** The list of `items`, chunked as adding them one by one would chunk it. */
export function listOf<T>(items: readonly T[]): AppendOnlyList<T> {
  const fullItems = items.length - (items.length % chunkSize);
  const full: T[][] = [];
  for (let start = 0; start < fullItems; start += chunkSize) full.push(items.slice(start, start + chunkSize));
  return { full, last: items.slice(fullItems) };
}

export function appended<T>(list: AppendOnlyList<T>, item: T): AppendOnlyList<T> {
  const last = [...list.last, item];
  return last.length === chunkSize ? { full: [...list.full, last], last: [] } : { full: list.full, last };
}

export function sizeOf(list: AppendOnlyList<unknown>): number {
  return list.full.length * chunkSize + list.last.length;
}

/** The item at `index`, or undefined outside the list. */
export function itemAt<T>(list: AppendOnlyList<T>, index: number): T | undefined {
  if (!Number.isInteger(index) || index < 0) return undefined;
  const chunk = Math.floor(index / chunkSize);
  return chunk < list.full.length ? list.full[chunk]![index % chunkSize] : list.last[index - list.full.length * chunkSize];
}

export function lastItem<T>(list: AppendOnlyList<T>): T | undefined {
  return list.last.length > 0 ? list.last.at(-1) : list.full.at(-1)?.at(-1);
}

/** The items from `from` up to (not including) `to`, as one array: what `Array.prototype.slice` would give. */
export function itemsOf<T>(list: AppendOnlyList<T>, from = 0, to = sizeOf(list)): T[] {
  const end = Math.min(to, sizeOf(list));
  const items: T[] = [];
  for (let index = Math.max(0, from); index < end; ) {
    const chunk = Math.floor(index / chunkSize);
    const source = chunk < list.full.length ? list.full[chunk]! : list.last;
    const offset = index - chunk * chunkSize;
    const taken = source.slice(offset, offset + end - index);
    for (const item of taken) items.push(item);
    index += taken.length;
  }
  return items;
}

/** The last item `matches` accepts, looking back from the end and giving up at the first item `stop` holds for. */
export function findLastBefore<T>(list: AppendOnlyList<T>, matches: (item: T) => boolean, stop: (item: T) => boolean): T | undefined {
  for (let chunk = list.full.length; chunk >= 0; chunk--) {
    const items = chunk === list.full.length ? list.last : list.full[chunk]!;
    for (let index = items.length - 1; index >= 0; index--) {
      const item = items[index]!;
      if (stop(item)) return undefined;
      if (matches(item)) return item;
    }
  }
  return undefined;
}

/** Where `value` is in `list`, whose items are in ascending order (a binary search); undefined when it is not there. */
export function positionInOrder(list: AppendOnlyList<number>, value: number): number | undefined {
  let low = 0;
  let high = sizeOf(list) - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const item = itemAt(list, middle)!;
    if (item === value) return middle;
    if (item < value) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}
