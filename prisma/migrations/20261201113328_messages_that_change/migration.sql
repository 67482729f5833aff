-- Messages that change (edits, deletions, reactions, pins, forwards, mentions)
-- and the change feeds that carry them: see docs/architecture.md, "The change
-- feeds". The statements Prisma generated from schema.prisma come first; the
-- backfill, the stamp sequence and payamak_append_message v3 follow.

-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "changeStamp" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "rev" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "ChatMember" ADD COLUMN     "changeStamp" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "id" UUID NOT NULL DEFAULT gen_random_uuid();

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "deletedAt" TIMESTAMPTZ(3),
ADD COLUMN     "editedAt" TIMESTAMPTZ(3),
ADD COLUMN     "forwardCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pinnedAt" TIMESTAMPTZ(3),
ADD COLUMN     "rev" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "MessageEdit" (
    "id" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "text" TEXT,
    "editedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MessageEdit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MessageReaction" (
    "messageId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "emoji" VARCHAR(64) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MessageReaction_pkey" PRIMARY KEY ("messageId","userId")
);

-- CreateTable
CREATE TABLE "MessageHidden" (
    "userId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "rev" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MessageHidden_pkey" PRIMARY KEY ("userId","messageId")
);

-- CreateTable
CREATE TABLE "MessageMention" (
    "messageId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,

    CONSTRAINT "MessageMention_pkey" PRIMARY KEY ("messageId","userId")
);

-- CreateIndex
CREATE INDEX "MessageEdit_messageId_editedAt_idx" ON "MessageEdit"("messageId", "editedAt");

-- CreateIndex
CREATE INDEX "MessageReaction_messageId_emoji_createdAt_idx" ON "MessageReaction"("messageId", "emoji", "createdAt");

-- CreateIndex
CREATE INDEX "MessageHidden_messageId_idx" ON "MessageHidden"("messageId");

-- CreateIndex
CREATE INDEX "MessageHidden_userId_chatId_rev_idx" ON "MessageHidden"("userId", "chatId", "rev");

-- CreateIndex
CREATE INDEX "MessageMention_userId_chatId_seq_idx" ON "MessageMention"("userId", "chatId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "ChatMember_id_key" ON "ChatMember"("id");

-- CreateIndex
CREATE INDEX "File_storageKey_idx" ON "File"("storageKey");


-- AddForeignKey
ALTER TABLE "MessageEdit" ADD CONSTRAINT "MessageEdit_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageReaction" ADD CONSTRAINT "MessageReaction_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageReaction" ADD CONSTRAINT "MessageReaction_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageHidden" ADD CONSTRAINT "MessageHidden_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageHidden" ADD CONSTRAINT "MessageHidden_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageMention" ADD CONSTRAINT "MessageMention_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageMention" ADD CONSTRAINT "MessageMention_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every existing message is its own first change: rev = seq, and a chat's rev is its lastSeq.
UPDATE "Message" SET "rev" = "seq";
UPDATE "Chat" SET "rev" = "lastSeq";

-- CreateIndex
CREATE UNIQUE INDEX "Message_chatId_rev_key" ON "Message"("chatId", "rev");

-- One sequence for the whole server: a chat's changeStamp (and a member's, for
-- changes to that member alone) is taken from it, so one number orders every
-- change an account can see, and chatChanges(since) compares against it.
CREATE SEQUENCE "payamak_change_stamp" AS bigint;
UPDATE "Chat" SET "changeStamp" = nextval('payamak_change_stamp');

-- payamak_append_message, v3: as in 20261201090000, and the new message takes
-- the chat's next rev and a fresh changeStamp under the same lock as its seq
-- (one UPDATE of the chat row, as before). The result gains "rev", so the
-- function is replaced, not altered.
DROP FUNCTION "payamak_append_message"(uuid, uuid, "MessageKind", text, uuid, varchar, uuid, uuid, uuid, boolean);
CREATE FUNCTION "payamak_append_message"(
  p_chat_id uuid,
  p_sender_id uuid,
  p_kind "MessageKind",
  p_text text,
  p_reply_to_id uuid,
  p_client_id varchar,
  p_file_id uuid,
  p_require_member uuid,
  p_read_by uuid,
  p_return_existing boolean,
  p_forward_count integer
)
RETURNS TABLE (
  "outcome" text,
  "id" uuid,
  "chatId" uuid,
  "seq" integer,
  "rev" integer,
  "senderId" uuid,
  "kind" text,
  "text" text,
  "replyToId" uuid,
  "clientId" varchar,
  "fileId" uuid,
  "createdAt" timestamptz,
  "forwardCount" integer,
  "editedAt" timestamptz,
  "deletedAt" timestamptz,
  "pinnedAt" timestamptz,
  "memberIds" text[]
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_message "Message"%ROWTYPE;
  v_last_seq integer;
  v_rev integer;
BEGIN
  -- Refused before anything else: before the lock, so strangers cannot make
  -- members wait, and before a replayed clientId is answered, so a removed
  -- member cannot read the chat back through their own old message.
  IF p_require_member IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM "ChatMember" cm WHERE cm."chatId" = p_chat_id AND cm."userId" = p_require_member) THEN
    outcome := 'not_member';
  END IF;

  IF outcome IS NULL AND p_return_existing AND p_client_id IS NOT NULL THEN
    SELECT * INTO v_message FROM "Message" m WHERE m."senderId" = p_sender_id AND m."clientId" = p_client_id;
    IF FOUND THEN
      outcome := 'existing';
    END IF;
  END IF;

  IF outcome IS NULL AND p_reply_to_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."id" = p_reply_to_id AND m."chatId" = p_chat_id) THEN
    outcome := 'bad_reply';
  END IF;

  IF outcome IS NULL THEN
    -- The lock an UPDATE takes: it leaves foreign-key checks alone (a File row
    -- inserted for this chat earlier in the caller's transaction holds KEY SHARE).
    SELECT c."lastSeq", c."rev" INTO v_last_seq, v_rev FROM "Chat" c WHERE c."id" = p_chat_id FOR NO KEY UPDATE;
    -- Read again under the lock: a removal may have committed while we waited.
    IF NOT FOUND
       OR (p_require_member IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM "ChatMember" cm WHERE cm."chatId" = p_chat_id AND cm."userId" = p_require_member)) THEN
      outcome := 'not_member';
    END IF;
  END IF;

  IF outcome IS NULL THEN
    UPDATE "Chat" c
    SET "lastSeq" = v_last_seq + 1, "rev" = v_rev + 1, "changeStamp" = nextval('payamak_change_stamp'), "updatedAt" = now()
    WHERE c."id" = p_chat_id;
    INSERT INTO "Message" ("id", "chatId", "seq", "rev", "senderId", "kind", "text", "replyToId", "clientId", "fileId", "forwardCount", "createdAt")
    VALUES (gen_random_uuid(), p_chat_id, v_last_seq + 1, v_rev + 1, p_sender_id, p_kind, p_text, p_reply_to_id, p_client_id, p_file_id,
            COALESCE(p_forward_count, 0), now())
    RETURNING * INTO v_message;
    IF p_read_by IS NOT NULL THEN
      UPDATE "ChatMember" cm SET "readSeq" = v_last_seq + 1, "deliveredSeq" = v_last_seq + 1
      WHERE cm."chatId" = p_chat_id AND cm."userId" = p_read_by;
    END IF;
    outcome := 'appended';
    "memberIds" := ARRAY(SELECT cm."userId"::text FROM "ChatMember" cm WHERE cm."chatId" = p_chat_id);
  END IF;

  IF outcome IN ('appended', 'existing') THEN
    "id" := v_message."id";
    "chatId" := v_message."chatId";
    "seq" := v_message."seq";
    "rev" := v_message."rev";
    "senderId" := v_message."senderId";
    "kind" := v_message."kind"::text;
    "text" := v_message."text";
    "replyToId" := v_message."replyToId";
    "clientId" := v_message."clientId";
    "fileId" := v_message."fileId";
    "createdAt" := v_message."createdAt";
    "forwardCount" := v_message."forwardCount";
    "editedAt" := v_message."editedAt";
    "deletedAt" := v_message."deletedAt";
    "pinnedAt" := v_message."pinnedAt";
  END IF;
  RETURN NEXT;
END
$$;
