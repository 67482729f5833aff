-- payamak_append_message checks membership before it answers a replayed
-- clientId (security audit, finding 1): the version of 20261125113000 returned
-- the first message to a sender who had since been removed from its chat, and
-- the chat's title, members and newest message with it. Everything else is as
-- that migration describes.
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
