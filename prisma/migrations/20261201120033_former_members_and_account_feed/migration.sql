-- Former members keep their history (WhatsApp, Signal): a member who leaves or
-- is removed gets a ChatMembershipPeriod row and still reads the messages of
-- that period; a member who rejoins reads from the rejoining on
-- (ChatMember.historyFromSeq).
--
-- The account feed's change stamps are transaction ids, not numbers from a
-- sequence: a reader that remembers the oldest transaction still running when
-- it read (pg_snapshot_xmin) misses nothing that commits later, whereas a
-- sequence value can be taken by a transaction that commits after a larger one
-- was already seen. New chats, members and periods take one by default.

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

-- A chat's pinned messages (at most 3) without walking its messages. Partial:
-- no entry per ordinary message, so sending pays nothing for it. Prisma's
-- schema cannot express it; its diff leaves a hand-made partial index alone.
CREATE INDEX "Message_pinned_idx" ON "Message"("chatId", "pinnedAt") WHERE "pinnedAt" IS NOT NULL;
