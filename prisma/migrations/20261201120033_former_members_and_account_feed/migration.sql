-- Former members keep their history (WhatsApp, Signal): a member who leaves or
-- is removed gets a ChatMembershipPeriod row and still reads the messages of
-- that period; a member who rejoins reads from the rejoining on
-- (ChatMember.historyFromSeq).
--
-- The account feed's change stamps become transaction ids instead of numbers
-- from a sequence: a reader that remembers the oldest transaction still running
-- when it read (pg_snapshot_xmin) misses nothing that commits later, whereas a
-- sequence value can be taken by a transaction that commits after a larger one
-- was already seen. New chats, members and periods take it by default.

-- AlterTable
ALTER TABLE "Chat" ALTER COLUMN "changeStamp" SET DEFAULT ((pg_current_xact_id())::text)::bigint;

-- AlterTable
ALTER TABLE "ChatMember" ADD COLUMN     "historyFromSeq" INTEGER NOT NULL DEFAULT 0,
ALTER COLUMN "changeStamp" SET DEFAULT ((pg_current_xact_id())::text)::bigint;

-- CreateTable
CREATE TABLE "ChatMembershipPeriod" (
    "id" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "fromSeq" INTEGER NOT NULL,
    "toSeq" INTEGER NOT NULL,
    "toRev" INTEGER NOT NULL,
    "leftAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changeStamp" BIGINT NOT NULL DEFAULT ((pg_current_xact_id())::text)::bigint,

    CONSTRAINT "ChatMembershipPeriod_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ChatMembershipPeriod_userId_leftAt_idx" ON "ChatMembershipPeriod"("userId", "leftAt");

-- CreateIndex
CREATE INDEX "ChatMembershipPeriod_chatId_userId_idx" ON "ChatMembershipPeriod"("chatId", "userId");

-- AddForeignKey
ALTER TABLE "ChatMembershipPeriod" ADD CONSTRAINT "ChatMembershipPeriod_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatMembershipPeriod" ADD CONSTRAINT "ChatMembershipPeriod_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- payamak_append_message, v4: as in 20261201113328, the chat's changeStamp
-- being the transaction's id.
CREATE OR REPLACE FUNCTION "payamak_append_message"(
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
    SET "lastSeq" = v_last_seq + 1, "rev" = v_rev + 1, "changeStamp" = pg_current_xact_id()::text::bigint, "updatedAt" = now()
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

DROP SEQUENCE "payamak_change_stamp";

-- A chat's pinned messages (at most 3) without walking its messages. Partial:
-- no entry per ordinary message, so sending pays nothing for it. Prisma's
-- schema cannot express it; its diff leaves a hand-made partial index alone.
CREATE INDEX "Message_pinned_idx" ON "Message"("chatId", "pinnedAt") WHERE "pinnedAt" IS NOT NULL;
