-- Unread counts leave SYSTEM messages out ("Alice added Bob" is news, not
-- something to read): a member's unread count is the messages above their read
-- position less the SYSTEM ones among them (modules/chats/chat-unread.ts).
-- Partial, so an ordinary message adds no entry, and counting the SYSTEM
-- messages above a watermark reads only those. Prisma's schema cannot express
-- it; its diff leaves a hand-made partial index alone.
CREATE INDEX "Message_system_seq_idx" ON "Message"("chatId", "seq") WHERE "kind" = 'SYSTEM';
