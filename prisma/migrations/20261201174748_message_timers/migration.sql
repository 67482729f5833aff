-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "messageTimer" INTEGER;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "expiresAt" TIMESTAMPTZ(3);

-- Only the messages still to disappear: the sweep (MessageTimersService.expireDue)
-- reads the due ones in expiresAt order from here, and a tombstone leaves the
-- index. A message sent while no timer is on (every message of a chat without
-- one) adds no entry. Prisma's schema cannot express it; its diff leaves a
-- hand-made partial index alone.
CREATE INDEX "Message_expiresAt_idx" ON "Message"("expiresAt") WHERE "expiresAt" IS NOT NULL AND "deletedAt" IS NULL;

-- The values setChatMessageTimer takes (WhatsApp's: 24 hours, 7 days, 90 days);
-- off is null.
ALTER TABLE "Chat" ADD CONSTRAINT "Chat_messageTimer_check" CHECK ("messageTimer" IN (86400, 604800, 7776000));

-- payamak_append_message, v4: as v3 (20261201130608_user_blocks), and a user's
-- message (not SYSTEM) to a chat with a timer expires at now() + the timer,
-- with now() the createdAt it is inserted with. The timer is read in the
-- SELECT ... FOR NO KEY UPDATE that already reads the chat row for seq and rev,
-- so a send racing setChatMessageTimer (which takes the same lock) sees the
-- timer that committed before it, whichever route sends (text, media, forwards).
-- The result gains "expiresAt", so the function is replaced, not altered.
DROP FUNCTION "payamak_append_message"(uuid, uuid, "MessageKind", text, uuid, varchar, uuid, uuid, uuid, boolean, integer);
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
  "expiresAt" timestamptz,
  "memberIds" text[]
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_message "Message"%ROWTYPE;
  v_last_seq integer;
  v_rev integer;
  v_kind "ChatKind";
  v_admins_only boolean;
  v_timer integer;
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
    SELECT c."lastSeq", c."rev", c."kind", c."onlyAdminsCanSend", c."messageTimer" INTO v_last_seq, v_rev, v_kind, v_admins_only, v_timer
    FROM "Chat" c WHERE c."id" = p_chat_id FOR NO KEY UPDATE;
    -- Read again under the lock: a removal may have committed while we waited.
    IF NOT FOUND
       OR (p_require_member IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM "ChatMember" cm WHERE cm."chatId" = p_chat_id AND cm."userId" = p_require_member)) THEN
      outcome := 'not_member';
    -- Groups pay nothing: only a private chat looks for a block, by its primary key.
    ELSIF p_require_member IS NOT NULL AND v_kind = 'PRIVATE' AND "payamak_blocked_in_chat"(p_chat_id, p_require_member) THEN
      outcome := 'blocked';
    -- Announcement groups: only admins send; SYSTEM messages (no sender) announce changes and always go.
    ELSIF p_sender_id IS NOT NULL AND v_admins_only
          AND NOT EXISTS (SELECT 1 FROM "ChatMember" cm WHERE cm."chatId" = p_chat_id AND cm."userId" = p_sender_id AND cm."isAdmin") THEN
      outcome := 'admins_only';
    END IF;
  END IF;

  IF outcome IS NULL THEN
    UPDATE "Chat" c
    SET "lastSeq" = v_last_seq + 1, "rev" = v_rev + 1, "changeStamp" = pg_current_xact_id()::text::bigint, "updatedAt" = now()
    WHERE c."id" = p_chat_id;
    -- SYSTEM messages (no sender) never expire: "Alice turned on disappearing messages" stays to explain the gaps.
    INSERT INTO "Message" ("id", "chatId", "seq", "rev", "senderId", "kind", "text", "replyToId", "clientId", "fileId", "forwardCount", "createdAt", "expiresAt")
    VALUES (gen_random_uuid(), p_chat_id, v_last_seq + 1, v_rev + 1, p_sender_id, p_kind, p_text, p_reply_to_id, p_client_id, p_file_id,
            COALESCE(p_forward_count, 0), now(),
            CASE WHEN v_timer IS NOT NULL AND p_sender_id IS NOT NULL THEN now() + make_interval(secs => v_timer) END)
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
    "expiresAt" := v_message."expiresAt";
  END IF;
  RETURN NEXT;
END
$$;
