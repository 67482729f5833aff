import { badInput } from './errors.js';

// C0 controls except tab and newline, DEL, and C1 controls. Carriage returns are
// refused too: clients send "\n" and a stray "\r" only confuses other clients.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
const CONTROL_OR_NEWLINE = /[\u0000-\u001F\u007F-\u009F]/;

export interface TextRule {
  field: string;
  min: number;
  max: number;
  /** Allow newline and tab (long text such as "about"); default false. */
  multiline?: boolean;
}

/**
 * Trims and checks a piece of user text. Length counts Unicode code points,
 * so an emoji is one character as a person sees it (near enough).
 */
export function cleanText(value: string, rule: TextRule): string {
  const text = value.trim();
  const length = [...text].length;
  if (length < rule.min) {
    throw badInput(rule.min === 1 ? `${rule.field} must not be empty` : `${rule.field} must be at least ${rule.min} characters`, rule.field);
  }
  if (length > rule.max) throw badInput(`${rule.field} must be at most ${rule.max} characters`, rule.field);
  if ((rule.multiline ? CONTROL : CONTROL_OR_NEWLINE).test(text)) {
    throw badInput(`${rule.field} must not contain control characters`, rule.field);
  }
  return text;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** IDs are UUIDs; anything else cannot exist, so it is NOT_FOUND-equivalent input, refused before SQL. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The same text as one flat string. Strings built by concatenation (template
 * literals, `crypto.randomUUID()`) are trees of pieces, ~20 of them for a
 * UUID; one kept for a connection's life is worth flattening.
 */
export function flatString(text: string): string {
  return (' ' + text).slice(1);
}

/**
 * The text as a literal piece of a LIKE/ILIKE pattern: `%`, `_` and the escape
 * character `\` (PostgreSQL's default for LIKE) are escaped. Prisma's
 * `startsWith`, `contains` and `endsWith` put the text into the pattern as it
 * is on PostgreSQL, so `startsWith: "_"` would match every row; pass them this.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}
