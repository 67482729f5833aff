-- DropIndex
DROP INDEX "File_ownerId_createdAt_idx";

-- DropIndex
DROP INDEX "Message_senderId_createdAt_idx";

-- AlterTable
ALTER TABLE "ChatMember" ADD COLUMN     "clearedSeq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "deletedSeq" INTEGER;

-- AlterTable
ALTER TABLE "ChatMembershipPeriod" ADD COLUMN     "clearedSeq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "deletedAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "deletedAt" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "File_ownerId_createdAt_id_idx" ON "File"("ownerId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Message_senderId_createdAt_id_idx" ON "Message"("senderId", "createdAt", "id");
