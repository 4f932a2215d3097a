/**
 * `text` in pieces of at most `max` UTF-16 units, never splitting a surrogate pair: each piece is
 * then valid Unicode on its own, which a console in another language decodes without a replacement character.
 */
export function textPieces(text: string, max: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    if (end < text.length && end - start > 1 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
