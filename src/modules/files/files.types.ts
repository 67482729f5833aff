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
  createdAt: true,
} as const;

// url and thumbnailUrl are field resolvers (files.resolver.ts): signed per request.
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

  @Field(() => Date)
  createdAt!: Date;
}
