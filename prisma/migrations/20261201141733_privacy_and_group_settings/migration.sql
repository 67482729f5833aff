-- CreateEnum
CREATE TYPE "Visibility" AS ENUM ('EVERYONE', 'CHATS', 'NOBODY');

-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "avatarId" UUID,
ADD COLUMN     "description" VARCHAR(512),
ADD COLUMN     "onlyAdminsCanEditInfo" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "onlyAdminsCanSend" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "aboutVisibility" "Visibility" NOT NULL DEFAULT 'CHATS',
ADD COLUMN     "groupAddsVisibility" "Visibility" NOT NULL DEFAULT 'EVERYONE',
ADD COLUMN     "lastSeenVisibility" "Visibility" NOT NULL DEFAULT 'CHATS',
ADD COLUMN     "profilePhotoVisibility" "Visibility" NOT NULL DEFAULT 'EVERYONE',
ADD COLUMN     "readReceipts" BOOLEAN NOT NULL DEFAULT true;

-- CreateIndex
CREATE UNIQUE INDEX "Chat_avatarId_key" ON "Chat"("avatarId");

-- AddForeignKey
ALTER TABLE "Chat" ADD CONSTRAINT "Chat_avatarId_fkey" FOREIGN KEY ("avatarId") REFERENCES "File"("id") ON DELETE SET NULL ON UPDATE CASCADE;
