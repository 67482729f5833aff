-- CreateEnum
CREATE TYPE "NotifyLevel" AS ENUM ('ALL', 'MENTIONS', 'NONE');

-- AlterTable
ALTER TABLE "ChatMember" ADD COLUMN     "archived" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "markedUnread" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "muted" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "mutedUntil" TIMESTAMPTZ(3),
ADD COLUMN     "notifyLevel" "NotifyLevel" NOT NULL DEFAULT 'ALL',
ADD COLUMN     "pinnedAt" TIMESTAMPTZ(3);
