-- Messages that change (edits, deletions, reactions, pins, forwards, mentions)
-- and the change feeds that carry them: see docs/architecture.md, "The change
-- feeds". The statements Prisma generated from schema.prisma come first, the
-- backfill last. payamak_append_message takes the new columns in
-- 20261201130608_user_blocks, with the rest of this wave's send path.

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
