import { cleanText } from '../../lib/text.js';

/** A reporter's or a moderator's note. */
export const MAX_NOTE = 1000;

/** Trimmed, ≤ 1,000 characters, newlines allowed; empty or absent is no note. */
export function cleanNote(note: string | null | undefined): string | null {
  if (note === null || note === undefined) return null;
  const text = cleanText(note, { field: 'note', min: 0, max: MAX_NOTE, multiline: true });
  return text === '' ? null : text;
}
