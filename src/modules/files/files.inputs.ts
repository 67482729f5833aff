import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Field, ID, InputType, Int } from 'type-graphql';
import { badInput } from '../../lib/errors.js';
import { cleanText } from '../../lib/text.js';
import { MediaLimits } from '../../media/limits.js';
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

@InputType({ description: 'A resumable upload to start (createUpload); its bytes then go to UploadSession.url over tus 1.0.' })
export class CreateUploadInput {
  @Field(() => Int, { description: 'Bytes the file has: 1 to the media limit (100 MiB). The tus server takes exactly this many.' })
  size!: number;

  @Field(() => String, { nullable: true, description: 'What you think the type is; informational: the type is decided from the bytes.' })
  mimeType?: string | null;

  @Field(() => String, { nullable: true, description: 'The file name to show; cleaned up as for multipart uploads.' })
  fileName?: string | null;
}

@InputType({ description: 'One file of sendAttachments.' })
export class AttachmentInput {
  @Field(() => ID, { description: 'A finished upload of yours (createUpload), or a File of yours not sent anywhere yet.' })
  uploadId!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Audio and video only: the length in ms (0 to 24 h), used only when the file itself does not say (the server reads it from the container).',
  })
  durationMs?: number | null;

  @Field(() => [Int], {
    nullable: true,
    description: 'Audio only (voice notes): at most 256 values, each 0–255, for drawing the waveform; returned as File.waveform.',
  })
  waveform?: number[] | null;

  @Field(() => ID, {
    nullable: true,
    description:
      'Video: a finished upload (or unsent File) of yours that is an image, to show before it plays: File.posterUrl, and thumbnailUrl and blurhash from it. It is used up: it is no File of its own after this.',
  })
  posterUploadId?: string | null;
}

@InputType({ description: 'An album: 1 to 10 finished uploads sent as one message.' })
export class SendAttachmentsInput {
  @Field(() => ID)
  chatId!: string;

  @Field(() => [AttachmentInput], { description: '1 to 10 files, in the order they are shown; the first is also Message.file.' })
  attachments!: AttachmentInput[];

  @Field(() => String, { nullable: true, description: 'Shown with the files, as sendMediaMessage’s caption.' })
  caption?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Your idempotency key (≤ 64 characters): sending again with the same one returns the first message and attaches nothing.',
  })
  clientId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A message of the same chat this one answers.' })
  replyToId?: string | null;
}

/** Files in one album. */
export const MAX_ATTACHMENTS = 10;
/** Values of a voice note's waveform, each a byte. */
export const MAX_WAVEFORM = 256;
/** The longest a voice note or video may say it lasts. */
export const MAX_DURATION_MS = MediaLimits.durationMs;

/**
 * An album's bounds, checked before anything is read: 1–10 attachments, each
 * id at most once, durations 0–24 h, waveforms of at most 256 values 0–255.
 * Returns the upload ids in order. Whether each fits its file (a waveform
 * for audio, a poster for video) is decided once the files are read, in
 * FilesService.sendAttachments.
 */
export function checkAttachments(attachments: readonly AttachmentInput[]): string[] {
  if (attachments.length < 1 || attachments.length > MAX_ATTACHMENTS) {
    throw badInput(`attachments must hold 1 to ${MAX_ATTACHMENTS} files`, 'attachments');
  }
  const ids = attachments.map((attachment) => attachment.uploadId);
  if (new Set(ids).size !== ids.length) throw badInput('attachments names the same upload twice', 'attachments');
  const posters = attachments.flatMap(({ posterUploadId }) => (posterUploadId === null || posterUploadId === undefined ? [] : [posterUploadId]));
  if (new Set([...ids, ...posters]).size !== ids.length + posters.length) {
    throw badInput('posterUploadId must be an upload of its own: neither another poster nor a file of the album', 'posterUploadId');
  }
  for (const { durationMs, waveform, posterUploadId, uploadId } of attachments) {
    if (durationMs !== null && durationMs !== undefined && (durationMs < 0 || durationMs > MAX_DURATION_MS)) {
      throw badInput(`durationMs must be 0 to ${MAX_DURATION_MS} (24 hours)`, 'durationMs');
    }
    if (waveform !== null && waveform !== undefined) {
      if (waveform.length > MAX_WAVEFORM) throw badInput(`waveform holds at most ${MAX_WAVEFORM} values`, 'waveform');
      if (waveform.some((value) => value < 0 || value > 255)) throw badInput('waveform values must be 0 to 255', 'waveform');
    }
    if (posterUploadId !== null && posterUploadId !== undefined && posterUploadId === uploadId) {
      throw badInput('posterUploadId must be another upload than the video', 'posterUploadId');
    }
  }
  return ids;
}
