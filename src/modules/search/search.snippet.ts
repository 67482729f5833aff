import { normalizeSearchText } from '../../lib/search-text.js';

/** About how many characters of the text a snippet shows: a line or two of a result list. */
export const SNIPPET_LENGTH = 160;
/** Of those, about how many come before the first match. */
const CONTEXT_BEFORE = 40;

// A word of the stored text, with what normalisation removes from inside words (diacritics, tatweel, ZWNJ…).
const TOKEN = /[\p{L}\p{N}\p{M}\u00AD\u0640\u200C-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]+/gu;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);

/** Whether a word of the text is one the query asked for: by prefix, or whole for a one-character word (payamak_search_query). */
function matches(token: string, words: readonly string[]): boolean {
  const key = normalizeSearchText(token).toLowerCase();
  return words.some((word) => ([...word].length > 1 ? key.startsWith(word) : key === word));
}

/**
 * The part of a message's text around its first match, for a result list:
 * whitespace collapsed, HTML-escaped, the matching words in
 * `<mark>…</mark>`, and `…` where the text was cut. Only the marks are
 * markup, so a client may put it into HTML as it is, or split it at the
 * marks and unescape the five entities (&amp; &lt; &gt; &quot; &#39;).
 * Matching here mirrors the database's (lib/search-text.ts); where the
 * database matched something this does not see (a word inside an address,
 * say), the snippet is the text's beginning, unmarked.
 */
export function snippetOf(text: string, words: readonly string[]): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const hits = [...flat.matchAll(TOKEN)]
    .filter((token) => matches(token[0], words))
    .map((token) => ({ start: token.index, end: token.index + token[0].length }));
  let start = 0;
  let end = flat.length;
  if (flat.length > SNIPPET_LENGTH) {
    const anchor = hits[0];
    if (anchor && anchor.start > CONTEXT_BEFORE) {
      // Begin at a word: after the last space before the context's start, if the first match is not cut off by it.
      const space = flat.lastIndexOf(' ', anchor.start - CONTEXT_BEFORE);
      start = space === -1 ? anchor.start - CONTEXT_BEFORE : space + 1;
    }
    end = Math.max(start + SNIPPET_LENGTH, anchor ? anchor.end : 0);
    if (end < flat.length) {
      const space = flat.lastIndexOf(' ', end);
      if (space > (anchor?.end ?? start)) end = space;
    }
    [start, end] = [wholeCharacter(flat, start), wholeCharacter(flat, Math.min(end, flat.length))];
  }
  let out = start > 0 ? '…' : '';
  let at = start;
  for (const hit of hits) {
    if (hit.end <= start || hit.start >= end) continue;
    const from = Math.max(hit.start, start);
    const to = Math.min(hit.end, end);
    out += `${escapeHtml(flat.slice(at, from))}<mark>${escapeHtml(flat.slice(from, to))}</mark>`;
    at = to;
  }
  out += escapeHtml(flat.slice(at, end));
  return end < flat.length ? `${out}…` : out;
}

/** The index itself, or one back when it would split a surrogate pair (an emoji, say). */
function wholeCharacter(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return index > 0 && index < text.length && code >= 0xdc00 && code <= 0xdfff ? index - 1 : index;
}
