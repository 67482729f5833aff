-- Devices replace PushSubscription (docs/design.md, "Devices, not users, get pushes").
-- Its rows are dropped, not migrated: they name no session, and binding one to a guessed
-- session could keep pushing previews to a browser that signed out. Web clients register
-- again (registerPushSubscription or registerDevice) at their next start.

-- CreateEnum
CREATE TYPE "DevicePlatform" AS ENUM ('APNS', 'FCM', 'WEB_PUSH');

-- CreateEnum
CREATE TYPE "PushContent" AS ENUM ('FULL', 'HIDDEN', 'IDS_ONLY');

-- DropForeignKey
ALTER TABLE "PushSubscription" DROP CONSTRAINT "PushSubscription_userId_fkey";

-- DropTable
DROP TABLE "PushSubscription";

-- CreateTable
CREATE TABLE "Device" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "platform" "DevicePlatform" NOT NULL,
    "token" VARCHAR(4096) NOT NULL,
    "tokenHash" CHAR(64) NOT NULL,
    "appId" VARCHAR(200),
    "content" "PushContent" NOT NULL DEFAULT 'FULL',
    "locale" VARCHAR(35),
    "p256dh" VARCHAR(200),
    "auth" VARCHAR(100),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Device_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DevicePushWindow" (
    "deviceId" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 1,
    "pending" BOOLEAN NOT NULL DEFAULT false,
    "until" TIMESTAMPTZ(3) NOT NULL,
    "notice" JSONB,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DevicePushWindow_pkey" PRIMARY KEY ("deviceId","chatId")
);

-- CreateIndex
CREATE INDEX "Device_userId_lastSeenAt_idx" ON "Device"("userId", "lastSeenAt");

-- CreateIndex
CREATE INDEX "Device_sessionId_idx" ON "Device"("sessionId");

-- CreateIndex
CREATE UNIQUE INDEX "Device_platform_tokenHash_key" ON "Device"("platform", "tokenHash");

-- CreateIndex
CREATE INDEX "DevicePushWindow_chatId_idx" ON "DevicePushWindow"("chatId");

-- AddForeignKey
ALTER TABLE "Device" ADD CONSTRAINT "Device_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Device" ADD CONSTRAINT "Device_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DevicePushWindow" ADD CONSTRAINT "DevicePushWindow_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DevicePushWindow" ADD CONSTRAINT "DevicePushWindow_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE CASCADE ON UPDATE CASCADE;
