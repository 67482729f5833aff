-- Appends a message to a chat's log in one round trip (see src/modules/chats/chat-log.ts).
--
-- A text send used to be an interactive transaction: BEGIN, lock and take seq,
-- insert, COMMIT, each a round trip from Node while the chat row stayed locked,
-- so one busy chat was bounded by the event loop's latency rather than by
-- PostgreSQL's. Here the lock is held only for the statements themselves.
--
-- The function is VOLATILE, so under READ COMMITTED each statement below takes
-- a fresh snapshot: the membership read after the lock sees a removal that
-- committed while we waited for it, exactly as the two-statement version did.
--
-- Outcomes (nothing is written unless 'appended'):
--   appended    the new message; memberIds are the members at commit
--   not_member  the chat does not exist or p_require_member is not in it
--   bad_reply   p_reply_to_id is not a message of this chat
--   existing    p_return_existing and the sender already used p_client_id:
--               the first message (in whatever chat) is returned
-- A reused clientId that is not found first (p_return_existing off, or a
-- concurrent retry committing while we waited for the lock) fails on the
-- unique index, as a plain INSERT would; the caller reads the first message then.
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
  p_return_existing boolean
)
RETURNS TABLE (
  "outcome" text,
  "id" uuid,
  "chatId" uuid,
  "seq" integer,
  "senderId" uuid,
  "kind" text,
  "text" text,
  "replyToId" uuid,
  "clientId" varchar,
  "fileId" uuid,
  "createdAt" timestamptz,
  "memberIds" text[]
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_message "Message"%ROWTYPE;
  v_last_seq integer;
BEGIN
  IF p_return_existing AND p_client_id IS NOT NULL THEN
    SELECT * INTO v_message FROM "Message" m WHERE m."senderId" = p_sender_id AND m."clientId" = p_client_id;
    IF FOUND THEN
      outcome := 'existing';
    END IF;
  END IF;

  -- Refused before the lock, so strangers and bad input cannot make members wait.
  IF outcome IS NULL AND p_require_member IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM "ChatMember" cm WHERE cm."chatId" = p_chat_id AND cm."userId" = p_require_member) THEN
    outcome := 'not_member';
  ELSIF outcome IS NULL AND p_reply_to_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."id" = p_reply_to_id AND m."chatId" = p_chat_id) THEN
    outcome := 'bad_reply';
  END IF;

  IF outcome IS NULL THEN
    -- The lock an UPDATE takes: it leaves foreign-key checks alone (a File row
    -- inserted for this chat earlier in the caller's transaction holds KEY SHARE).
    SELECT c."lastSeq" INTO v_last_seq FROM "Chat" c WHERE c."id" = p_chat_id FOR NO KEY UPDATE;
    -- Read again under the lock: a removal may have committed while we waited.
    IF NOT FOUND
       OR (p_require_member IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM "ChatMember" cm WHERE cm."chatId" = p_chat_id AND cm."userId" = p_require_member)) THEN
      outcome := 'not_member';
    END IF;
  END IF;

  IF outcome IS NULL THEN
    UPDATE "Chat" c SET "lastSeq" = v_last_seq + 1, "updatedAt" = now() WHERE c."id" = p_chat_id;
    INSERT INTO "Message" ("id", "chatId", "seq", "senderId", "kind", "text", "replyToId", "clientId", "fileId", "createdAt")
    VALUES (gen_random_uuid(), p_chat_id, v_last_seq + 1, p_sender_id, p_kind, p_text, p_reply_to_id, p_client_id, p_file_id, now())
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
    "senderId" := v_message."senderId";
    "kind" := v_message."kind"::text;
    "text" := v_message."text";
    "replyToId" := v_message."replyToId";
    "clientId" := v_message."clientId";
    "fileId" := v_message."fileId";
    "createdAt" := v_message."createdAt";
  END IF;
  RETURN NEXT;
END
$$;
