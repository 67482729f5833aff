import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { MessageKind } from '../../generated/prisma/enums.js';
import { MessageKind as MessageKindEnum } from '../messages/index.js';

/** A File row as services and resolvers pass it around. */
export interface FileRecord {
  id: string;
  ownerId: string;
  /** The chat it was sent in; null for avatars. */
  chatId: string | null;
  kind: MessageKind;
  mimeType: string;
  size: number;
  width: number | null;
  height: number | null;
  /** sha256 (hex) of the stored bytes. */
  checksum: string;
  originalName: string | null;
  storageKey: string;
  thumbnailKey: string | null;
  thumbnailSize: number | null;
  /** Audio and video: from the container, else the sender's. */
  durationMs: number | null;
  /** Voice notes: the sender's, one byte per value. */
  waveform: Uint8Array<ArrayBuffer> | null;
  /** Images and videos with a poster: a BlurHash of the thumbnail. */
  blurhash: string | null;
  /** Video: the poster's stored bytes (an image, re-encoded like any). */
  posterKey: string | null;
  posterSize: number | null;
  posterMimeType: string | null;
  createdAt: Date;
}

export const FILE_SELECT = {
  id: true,
  ownerId: true,
  chatId: true,
  kind: true,
  mimeType: true,
  size: true,
  width: true,
  height: true,
  checksum: true,
  originalName: true,
  storageKey: true,
  thumbnailKey: true,
  thumbnailSize: true,
  durationMs: true,
  waveform: true,
  blurhash: true,
  posterKey: true,
  posterSize: true,
  posterMimeType: true,
  createdAt: true,
} as const;

// url, thumbnailUrl, posterUrl, urlExpiresAt and waveform are field resolvers (files.resolver.ts): signed per request.
@ObjectType('File', { description: 'An uploaded file: a profile picture or the attachment of a media message.' })
export class FileNode {
  @Field(() => ID)
  id!: string;

  @Field(() => MessageKindEnum, { description: 'IMAGE, VIDEO, AUDIO or DOCUMENT.' })
  kind!: MessageKind;

  @Field(() => String, { description: "Detected from the file's bytes, never taken from the client." })
  mimeType!: string;

  @Field(() => Int, { description: 'Bytes, as served (images: after re-encoding).' })
  size!: number;

  @Field(() => String, { nullable: true, description: "The uploader's file name, cleaned up; for display only." })
  originalName!: string | null;

  @Field(() => Int, { nullable: true, description: 'Images: pixels, after orientation and scaling.' })
  width!: number | null;

  @Field(() => Int, { nullable: true })
  height!: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Voice notes, audio and video: how long it plays, in ms, read from the file (MP3, OGG/Opus, M4A/AAC, WAV, WebM, MP4, MOV); ' +
      'the durationMs you sent is used only when the file does not say. Null for other files.',
  })
  durationMs!: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Images, and videos sent with a poster: a BlurHash (https://blurha.sh) of the thumbnail, 4×3 components (3×4 when portrait), ' +
      'to draw a placeholder before any byte is fetched; decode it at the aspect of width/height (a video: of the poster).',
  })
  blurhash!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('UploadSession', { description: 'A resumable upload (tus 1.0): PATCH its bytes to url, HEAD url for the offset to resume from.' })
export class UploadSessionNode {
  @Field(() => ID, { description: 'Also the id of the File it becomes; pass it to sendAttachments once every byte is in.' })
  id!: string;

  @Field(() => String, { description: 'The tus resource: absolute, on PUBLIC_URL or the origin you called.' })
  url!: string;

  @Field(() => Int, { description: 'Bytes received so far (0 when created).' })
  offset!: number;

  @Field(() => Int)
  size!: number;

  @Field(() => Date, { description: 'Unfinished by then (24 h), it is removed, bytes and all; once finished, it must be sent within 24 h.' })
  expiresAt!: Date;
}
