import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Arg, Authorized, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, type ChatRecord } from '../chats/index.js';
import type { MessageRecord } from '../messages/index.js';
import { Message } from '../messages/index.js';
import { User, seesAvatar, type UserRecord } from '../users/index.js';
import { CreateUploadInput, SendAttachmentsInput, SendMediaMessageInput } from './files.inputs.js';
import { FileNode, UploadSessionNode, type FileRecord } from './files.types.js';

@Resolver(() => FileNode)
export class FilesResolver {
  @Authorized()
  @Query(() => FileNode, { nullable: true, description: 'A file you may see (your chats, or anyone’s avatar); NOT_FOUND otherwise.' })
  file(@Arg('id', () => ID) id: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.file(viewer, ctx.loaders, id);
  }

  @Authorized()
  @Query(() => [FileNode], {
    nullable: 'items',
    description:
      'Up to 100 files at once, in the order asked: each with fresh signed URLs (a client refreshes the URLs of the files on screen ' +
      'in one request when urlExpiresAt nears). Null for an id you may not see, exactly as for one that does not exist; more than 100 ids is BAD_USER_INPUT.',
  })
  files(@Arg('ids', () => [ID]) ids: string[], @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.files(viewer, ctx.loaders, ids);
  }

  @Authorized()
  @Mutation(() => Message, {
    description: 'Sends a file (multipart request) as an IMAGE, VIDEO, AUDIO or DOCUMENT message; with clientId, a retry returns the first message.',
  })
  sendMediaMessage(@Arg('input', () => SendMediaMessageInput) input: SendMediaMessageInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.sendMediaMessage(viewer, ctx.loaders, input);
  }

  @Authorized()
  @Mutation(() => UploadSessionNode, {
    description:
      'Starts a resumable upload (tus 1.0, for files up to 100 MiB on flaky networks): PATCH the bytes to url with your bearer token, ' +
      'HEAD url to learn the offset after a drop, then pass id to sendAttachments. Counts against RATE_LIMIT_UPLOADS.',
  })
  createUpload(@Arg('input', () => CreateUploadInput) input: CreateUploadInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.createUpload(viewer, input, ctx.origin);
  }

  @Authorized()
  @Mutation(() => Message, {
    description: 'Sends 1–10 finished uploads as one message (an album), in order; with clientId, a retry returns the first message.',
  })
  sendAttachments(@Arg('input', () => SendAttachmentsInput) input: SendAttachmentsInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.sendAttachments(viewer, ctx.loaders, input);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'The uploader only. A message keeps its caption; its file becomes null.' })
  deleteFile(@Arg('id', () => ID) id: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.deleteFile(viewer, ctx.loaders, id);
  }

  @Authorized()
  @Mutation(() => User, { description: 'A JPEG, PNG, GIF or WebP image (≤ 5 MiB), cropped square; replaces the previous one.' })
  uploadAvatar(@Arg('file', () => GraphQLUpload) file: Promise<FileUpload>, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.uploadAvatar(viewer, file);
  }

  @Authorized()
  @Mutation(() => User)
  removeAvatar(@CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.removeAvatar(viewer);
  }

  @Authorized()
  @Mutation(() => Chat, {
    description:
      'A group’s photo: a JPEG, PNG, GIF or WebP image (≤ 5 MiB), cropped square, as uploadAvatar. Admins, or every member when ' +
      'onlyAdminsCanEditInfo is false. Replaces the previous one (its bytes are deleted); posts a SYSTEM message; members get chatUpdated.',
  })
  uploadGroupAvatar(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('file', () => GraphQLUpload) file: Promise<FileUpload>,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.files.uploadGroupAvatar(viewer, ctx.loaders, chatId, file);
  }

  @Authorized()
  @Mutation(() => Chat, { description: 'Removes a group’s photo and deletes its bytes; who may: as uploadGroupAvatar.' })
  removeGroupAvatar(@Arg('chatId', () => ID) chatId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.files.removeGroupAvatar(viewer, ctx.loaders, chatId);
  }

  @FieldResolver(() => String, { description: 'Signed and short-lived (about an hour): fetch it, do not store it. Works without a header, e.g. in <img src>.' })
  url(@Root() file: FileRecord, @Ctx() ctx: Context): string {
    return ctx.services.files.url(file, 'original', ctx.origin)!;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Images, and videos sent with a poster: a small webp preview (signed like url); null for other files.',
  })
  thumbnailUrl(@Root() file: FileRecord, @Ctx() ctx: Context): string | null {
    return ctx.services.files.url(file, 'thumbnail', ctx.origin);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Videos sent with posterUploadId: the poster image (re-encoded, without metadata), signed like url; null otherwise.',
  })
  posterUrl(@Root() file: FileRecord, @Ctx() ctx: Context): string | null {
    return ctx.services.files.url(file, 'poster', ctx.origin);
  }

  @FieldResolver(() => Date, {
    description:
      'When url, thumbnailUrl and posterUrl stop working (one expiry for all three, an hour or a little more ahead). ' +
      'Before then, fetch fresh ones with Query.files(ids).',
  })
  urlExpiresAt(@Root() file: FileRecord, @Ctx() ctx: Context): Date {
    return ctx.services.files.urlExpiresAt(file);
  }

  @FieldResolver(() => [Int], { nullable: true, description: 'Voice notes: the waveform the sender gave (up to 256 values, 0–255); null when none.' })
  waveform(@Root() file: FileRecord): number[] | null {
    return file.waveform ? Array.from(file.waveform) : null;
  }

  @FieldResolver(() => String, {
    description:
      'sha256 (hex) of the bytes served at url, also their ETag: a client can tell a file it already has, e.g. a forwarded copy, without fetching it.',
  })
  sha256(@Root() file: FileRecord): string {
    return file.checksum;
  }
}

@Resolver(() => Message)
export class MessageFileResolver {
  @FieldResolver(() => FileNode, { nullable: true, description: 'Media messages: the attachment; null once the uploader deleted it.' })
  file(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<FileRecord | null> | null {
    // Whoever sees the message is a member of its chat, and so may see its file.
    return message.fileId ? ctx.loaders.fileById.load(message.fileId) : null;
  }

  @FieldResolver(() => [FileNode], {
    description: 'Every file of the message in order: an album’s (sendAttachments) up to 10, else [file]; empty for text and deleted messages.',
  })
  async files(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<FileRecord[]> {
    if (message.deletedAt !== null || message.kind === 'TEXT' || message.kind === 'SYSTEM') return [];
    const album = await ctx.loaders.albumOf.load(message.id);
    if (album.length > 0) return album;
    const file = message.fileId ? await ctx.loaders.fileById.load(message.fileId) : null;
    return file ? [file] : [];
  }
}

/** The fields of User that the files module owns: the avatar, and the user's own storage. */
@Resolver(() => User)
export class UserAvatarResolver {
  @FieldResolver(() => FileNode, {
    nullable: true,
    description: 'The profile picture; null when none, and when it is hidden from me (the user’s privacy.profilePhoto, or they blocked me).',
  })
  async avatar(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<FileRecord | null> {
    if (!user.avatarId || !(await seesAvatar(ctx.viewer, user, ctx.loaders))) return null;
    return ctx.loaders.fileById.load(user.avatarId);
  }

  @FieldResolver(() => Float, {
    nullable: true,
    description: 'Bytes your uploads take up (files, their thumbnails and your avatar). Shown to the user themself; null for others.',
  })
  storageUsed(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<number | null> {
    return ctx.services.files.storageUsed(ctx.viewer, user.id);
  }

  @FieldResolver(() => Float, {
    nullable: true,
    description:
      'Bytes your uploads may take up in all; an upload past it is refused with PAYLOAD_TOO_LARGE. Shown to the user themself; null for others, and when there is no quota.',
  })
  storageQuota(@Root() user: UserRecord, @Ctx() ctx: Context): number | null {
    return ctx.services.files.storageQuota(ctx.viewer, user.id);
  }
}

/** Chat.avatar: the group's photo, which this module stores. */
@Resolver(() => Chat)
export class ChatAvatarResolver {
  @FieldResolver(() => FileNode, { nullable: true, description: 'Groups: the group photo; null when none, and for private chats.' })
  avatar(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<FileRecord | null> | null {
    // Whoever sees the chat may see its photo (files.policy.ts); the chat was checked where it was reached.
    return chat.avatarId ? ctx.loaders.fileById.load(chat.avatarId) : null;
  }
}
