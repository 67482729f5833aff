/** Where links are found in message text (link previews). */

const MAX_LINK_LENGTH = 2048;
const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than a URL: "see https://example.com/a." */
const TRAILING = /[.,;:!?'"*_~]+$/;

/**
 * The first http(s) URL in `text`, normalised by WHATWG URL, or null. What
 * surrounds a link in prose is left out: trailing punctuation, and a closing
 * bracket the URL did not open ("(see https://example.com/x)").
 */
export function firstLink(text: string | null): string | null {
  if (text === null) return null;
  for (const match of text.matchAll(CANDIDATE)) {
    let candidate = match[0];
    for (;;) {
      const trimmed = candidate.replace(TRAILING, '');
      const closer = trimmed.at(-1);
      const opener = closer === ')' ? '(' : closer === ']' ? '[' : closer === '}' ? '{' : null;
      const unbalanced = opener !== null && count(trimmed, closer!) > count(trimmed, opener);
      const next = unbalanced ? trimmed.slice(0, -1) : trimmed;
      if (next === candidate) break;
      candidate = next;
    }
    if (candidate.length > MAX_LINK_LENGTH) continue;
    try {
      const url = new URL(candidate);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return url.toString();
    } catch {
      // Not a URL after all ("http://" alone): look on.
    }
  }
  return null;
}

const count = (text: string, char: string) => text.split(char).length - 1;
