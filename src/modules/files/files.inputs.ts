import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Field, ID, InputType } from 'type-graphql';
import { cleanText } from '../../lib/text.js';
import { MAX_TEXT } from '../messages/index.js';

@InputType()
export class SendMediaMessageInput {
  @Field(() => ID)
  chatId!: string;

  @Field(() => GraphQLUpload, { description: 'The file, as a multipart request part (GraphQL multipart request spec).' })
  file!: Promise<FileUpload>;

  @Field(() => String, {
    nullable: true,
    description: 'Shown with the file: like a text message (≤ 65,536 characters, newlines and tabs allowed); blank means none.',
  })
  caption?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Your idempotency key (≤ 64 characters): sending again with the same one returns the first message and stores nothing.',
  })
  clientId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A message of the same chat this one answers.' })
  replyToId?: string | null;
}

/** Same rules as a message's text, except that a caption may be absent; blank counts as absent. */
export function cleanCaption(caption: string | null | undefined): string | null {
  if (caption === null || caption === undefined || caption.trim() === '') return null;
  return cleanText(caption, { field: 'caption', min: 1, max: MAX_TEXT, multiline: true });
}

const NAME_MAX = 200;
// Controls, and characters that mean something in paths or headers.
const UNSAFE = /[\u0000-\u001F\u007F-\u009F/\\"<>|:*?]/g;

/**
 * The client's file name, kept for display: last path segment only, controls
 * and path/header characters replaced, Unicode normalised, at most 200
 * characters (keeping the extension). Null when nothing is left.
 */
export function cleanFileName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const last = raw.split(/[/\\]/).pop() ?? '';
  let name = last.normalize('NFC').replace(UNSAFE, '_').replace(/\s+/g, ' ').trim();
  // Bidirectional overrides make "exe.pdf" look like "fdp.exe"; nothing legitimate needs them in a name.
  name = name.replace(/[\u202A-\u202E\u2066-\u2069\u200E\u200F]/g, '');
  if (name === '' || /^\.+$/.test(name)) return null;
  const chars = [...name];
  if (chars.length > NAME_MAX) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? [...name.slice(dot)].slice(0, 16) : [];
    name = [...chars.slice(0, NAME_MAX - ext.length), ...ext].join('');
  }
  return name;
}
