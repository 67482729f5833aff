import { Field, InputType } from 'type-graphql';
import { badInput } from '../../lib/errors.js';
import { cleanText } from '../../lib/text.js';

@InputType()
export class UpdateProfileInput {
  @Field(() => String, { nullable: true, description: '1–64 characters.' })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: 'Up to 500 characters; an empty string clears it.' })
  about?: string | null;
}

export const USERNAME = /^[a-z0-9_.]{3,32}$/;

/** Usernames compare case-insensitively: we store them lower-cased. */
export function normalizeUsername(raw: string): string {
  const username = raw.trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw badInput('username must be 3–32 characters of a–z, 0–9, underscore and dot', 'username');
  }
  return username;
}

export function checkPassword(password: string, field = 'password'): string {
  // Counted in code points like other text, but never trimmed: spaces are part of a password.
  const length = [...password].length;
  if (length < 10 || length > 128) throw badInput(`${field} must be 10–128 characters`, field);
  return password;
}

export const cleanDisplayName = (value: string) => cleanText(value, { field: 'displayName', min: 1, max: 64 });

/** An empty "about" clears it. */
export function cleanAbout(value: string): string | null {
  const about = cleanText(value, { field: 'about', min: 0, max: 500, multiline: true });
  return about === '' ? null : about;
}
