import { Field, InputType } from 'type-graphql';
import { cleanText } from '../../lib/text.js';

/** A group's description, in characters (the column is VARCHAR(512)). */
export const MAX_DESCRIPTION = 512;

@InputType('GroupSettingsInput', { description: 'A group’s settings; fields left out stay as they are.' })
export class GroupSettingsInput {
  @Field(() => String, { nullable: true, description: '1–100 characters, as updateGroup.' })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'Up to 512 characters; newlines allowed. Blank removes it.' })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Admins only. true: an announcement group, where only admins send.' })
  onlyAdminsCanSend?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Admins only. false: every member may change the title, description and photo and pin messages.',
  })
  onlyAdminsCanEditInfo?: boolean | null;
}

/** Trimmed; blank is no description (null). Cleaned like titles, newlines allowed. */
export function cleanDescription(value: string): string | null {
  const text = cleanText(value, { field: 'description', min: 0, max: MAX_DESCRIPTION, multiline: true });
  return text === '' ? null : text;
}
