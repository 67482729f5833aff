import { badInput } from './errors.js';

/**
 * Search text, as the database normalises it. The definition is the SQL
 * function `payamak_search_text` (migration 20261201180000_message_search),
 * which the index and every query use; this is its mirror in TypeScript, for
 * what the server decides before asking (is the query long enough?) and for
 * highlighting the words that matched. search-text.test.ts holds the two to
 * the same output.
 */

// Arabic yeh, alef maksura and kaf are written as Persian yeh and kaf: 'علي' and 'علی' are one word.
const ARABIC_LETTERS = /[يىك]/g;
const PERSIAN_LETTER: Record<string, string> = { ي: 'ی', ى: 'ی', ك: 'ک' };
// Diacritics, tatweel, soft hyphen, and the invisible joiners and direction marks: removed, so 'می‌خواهم' stays one word.
const REMOVED = /[\u064B-\u0652\u0670\u0640\u00AD\u200C-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;
// Punctuation that splits words under every database locale (« » ، ؛ ؟ …).
const SEPARATORS = /[\u00A0\u00AB\u00BB\u060C\u061B\u061F\u066A-\u066D\u06D4\u2000-\u200B\u2010-\u2027\u2028-\u202F\u2030-\u205F\u3000-\u303F]/g;

/** `payamak_search_text` in TypeScript (see above). */
export function normalizeSearchText(text: string): string {
  return text
    .replace(ARABIC_LETTERS, (letter) => PERSIAN_LETTER[letter]!)
    .replace(REMOVED, '')
    .replace(SEPARATORS, ' ');
}

/** Letters and digits in a row: a word, as far as validation and highlighting need to know. */
const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a normalised text, lower-cased as the `simple` configuration lower-cases them. */
export function searchWords(normalized: string): string[] {
  return (normalized.match(WORD) ?? []).map((word) => word.toLowerCase());
}

/** Longest query, in characters after trimming. */
export const MAX_SEARCH_LENGTH = 200;
/** Most words in a query: each is one more index lookup, all must match. */
export const MAX_SEARCH_WORDS = 10;

/** A checked search query. */
export interface SearchQuery {
  /** What goes to the database (`payamak_search_query`): trimmed, control characters made spaces. */
  text: string;
  /** Its words, normalised and lower-cased: what a snippet highlights. */
  words: string[];
}

// C0 and C1 controls (NUL cannot reach PostgreSQL at all) and unpaired surrogates: word breaks, like a pasted newline.
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Checks a search query of plain words: BAD_USER_INPUT when it is longer
 * than {@link MAX_SEARCH_LENGTH} characters, has more than
 * {@link MAX_SEARCH_WORDS} words, or fewer than two letters or digits once
 * normalised (empty, "a", "!!", a lone diacritic). `field` names the argument.
 */
export function cleanSearchQuery(raw: string, field: string): SearchQuery {
  const text = raw.replace(CONTROL_OR_LONE_SURROGATE, ' ').trim();
  if ([...text].length > MAX_SEARCH_LENGTH) throw badInput(`${field} must be at most ${MAX_SEARCH_LENGTH} characters`, field);
  const words = searchWords(normalizeSearchText(text));
  if ([...words.join('')].length < 2) throw badInput(`${field} must have at least 2 letters or digits`, field);
  if (words.length > MAX_SEARCH_WORDS) throw badInput(`${field} must have at most ${MAX_SEARCH_WORDS} words`, field);
  return { text, words };
}

/** {@link cleanSearchQuery} for an optional filter: null when absent or blank, so an emptied search box lists everything. */
export function optionalSearchQuery(raw: string | null | undefined, field: string): SearchQuery | null {
  if (raw === null || raw === undefined || raw.replace(CONTROL_OR_LONE_SURROGATE, ' ').trim() === '') return null;
  return cleanSearchQuery(raw, field);
}
