-- CreateEnum
CREATE TYPE "ScheduledStatus" AS ENUM ('SCHEDULED', 'SENT', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "ScheduledMessage" (
    "id" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "senderId" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "replyToId" UUID,
    "clientId" VARCHAR(64),
    "sendAt" TIMESTAMPTZ(3) NOT NULL,
    "status" "ScheduledStatus" NOT NULL DEFAULT 'SCHEDULED',
    "messageId" UUID,
    "failureReason" VARCHAR(300),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ScheduledMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ScheduledMessage_senderId_status_sendAt_id_idx" ON "ScheduledMessage"("senderId", "status", "sendAt", "id");

-- CreateIndex
CREATE INDEX "ScheduledMessage_chatId_idx" ON "ScheduledMessage"("chatId");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduledMessage_senderId_clientId_key" ON "ScheduledMessage"("senderId", "clientId");

-- AddForeignKey
ALTER TABLE "ScheduledMessage" ADD CONSTRAINT "ScheduledMessage_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduledMessage" ADD CONSTRAINT "ScheduledMessage_senderId_fkey" FOREIGN KEY ("senderId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
