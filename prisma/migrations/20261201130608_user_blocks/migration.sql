-- CreateTable
CREATE TABLE "UserBlock" (
    "blockerId" UUID NOT NULL,
    "blockedId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UserBlock_pkey" PRIMARY KEY ("blockerId","blockedId")
);

-- CreateIndex
CREATE INDEX "UserBlock_blockedId_idx" ON "UserBlock"("blockedId");

-- AddForeignKey
ALTER TABLE "UserBlock" ADD CONSTRAINT "UserBlock_blockerId_fkey" FOREIGN KEY ("blockerId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UserBlock" ADD CONSTRAINT "UserBlock_blockedId_fkey" FOREIGN KEY ("blockedId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Whether a block, in either direction, stands between this user and the
-- other member of a private chat: the one definition of "you can't message
-- this user", used by payamak_append_message (sends, media, forwards) and by
-- modules/blocking's requireNotBlocked (reactions). False for groups.
CREATE FUNCTION "payamak_blocked_in_chat"(p_chat_id uuid, p_user_id uuid)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT EXISTS (
    SELECT 1
    FROM "Chat" c JOIN "ChatMember" other ON other."chatId" = c."id" AND other."userId" <> p_user_id
    WHERE c."id" = p_chat_id AND c."kind" = 'PRIVATE'
      AND (EXISTS (SELECT 1 FROM "UserBlock" b WHERE b."blockerId" = p_user_id AND b."blockedId" = other."userId")
           OR EXISTS (SELECT 1 FROM "UserBlock" b WHERE b."blockerId" = other."userId" AND b."blockedId" = p_user_id))
  )
$$;

-- payamak_append_message, v3: as in 20261201090000, and
-- - the new message takes the chat's next rev (20261201113328) and the chat a
--   changeStamp, the transaction's id (20261201120033), in the same UPDATE of
--   the chat row, under the same lock as its seq;
-- - copies carry forwardCount;
-- - a sender in a private chat with a block between its two members is
--   refused ('blocked') under the chat's lock, so a block that committed first
--   is always seen;
-- - a user's message (a sender, so not SYSTEM) to an announcement group
--   (Chat.onlyAdminsCanSend, added by 20261201141733, a later migration:
--   PL/pgSQL resolves columns when the function runs, not when it is created) from a member who is not an admin
--   is refused ('admins_only') under the same lock, so a flag or a demotion
--   that committed first is always seen, whichever route sends.
-- The arguments and the result change, so the function is replaced, not altered.
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
  v_kind "ChatKind";
  v_admins_only boolean;
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
    SELECT c."lastSeq", c."rev", c."kind", c."onlyAdminsCanSend" INTO v_last_seq, v_rev, v_kind, v_admins_only
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
