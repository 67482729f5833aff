import { badInput } from '../../lib/errors.js';

/**
 * The longest emoji we take, in UTF-16 units: the longest RGI sequences
 * (families with skin tones, subdivision flags) are under 40. Checked before
 * the regular expression, so nobody makes it walk a megabyte.
 */
export const MAX_EMOJI_LENGTH = 64;

// Built at run time: the `v` flag is newer than the compiler's target (ES2022), and Node 20 has it.
// biome-ignore lint/complexity/useRegexLiterals: a literal with the v flag fails to compile for ES2022
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
// RGI_Emoji lists the skin tones and hair styles on their own too; alone they are parts, not reactions.
const COMPONENT_ALONE = /^\p{Emoji_Component}$/u;

/** Exactly one RGI emoji (ZWJ sequences, skin tones, keycaps and flags included), unchanged. */
export function cleanEmoji(raw: string): string {
  const refuse = () => badInput('emoji must be exactly one emoji', 'emoji');
  if (raw.length === 0 || raw.length > MAX_EMOJI_LENGTH) throw refuse();
  if (!RGI_EMOJI.test(raw) || COMPONENT_ALONE.test(raw)) throw refuse();
  return raw;
}
