-- CreateEnum
CREATE TYPE "ReportReason" AS ENUM ('SPAM', 'ABUSE', 'ILLEGAL', 'OTHER');

-- CreateEnum
CREATE TYPE "ReportStatus" AS ENUM ('OPEN', 'RESOLVED', 'DISMISSED');

-- CreateEnum
CREATE TYPE "ReportAction" AS ENUM ('DISMISS', 'DELETE_MESSAGE', 'DEACTIVATE_USER');

-- CreateTable
CREATE TABLE "Report" (
    "id" UUID NOT NULL,
    "reporterId" UUID,
    "messageId" UUID,
    "userId" UUID,
    "reason" "ReportReason" NOT NULL,
    "note" VARCHAR(1000),
    "status" "ReportStatus" NOT NULL DEFAULT 'OPEN',
    "openKey" VARCHAR(48),
    "action" "ReportAction",
    "resolution" VARCHAR(1000),
    "resolvedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Report_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReportSnapshot" (
    "reportId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "chatKind" "ChatKind" NOT NULL,
    "chatTitle" VARCHAR(100),
    "seq" INTEGER NOT NULL,
    "senderId" UUID,
    "senderUsername" VARCHAR(32),
    "senderName" VARCHAR(64),
    "kind" "MessageKind" NOT NULL,
    "text" TEXT,
    "sentAt" TIMESTAMPTZ(3) NOT NULL,
    "editedAt" TIMESTAMPTZ(3),
    "forwardCount" INTEGER NOT NULL DEFAULT 0,
    "fileMimeType" VARCHAR(127),
    "fileSize" INTEGER,
    "fileName" VARCHAR(255),
    "fileWidth" INTEGER,
    "fileHeight" INTEGER,
    "fileChecksum" CHAR(64),
    "fileHoldId" UUID,

    CONSTRAINT "ReportSnapshot_pkey" PRIMARY KEY ("reportId")
);

-- CreateTable
CREATE TABLE "FileHold" (
    "id" UUID NOT NULL,
    "ownerId" UUID NOT NULL,
    "chatId" UUID,
    "kind" "MessageKind" NOT NULL,
    "mimeType" VARCHAR(127) NOT NULL,
    "size" INTEGER NOT NULL,
    "width" INTEGER,
    "height" INTEGER,
    "checksum" CHAR(64) NOT NULL,
    "originalName" VARCHAR(255),
    "storageKey" VARCHAR(255) NOT NULL,
    "thumbnailKey" VARCHAR(255),
    "thumbnailSize" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FileHold_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Report_reporterId_createdAt_idx" ON "Report"("reporterId", "createdAt");

-- CreateIndex
CREATE INDEX "Report_status_createdAt_idx" ON "Report"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Report_createdAt_idx" ON "Report"("createdAt");

-- CreateIndex
CREATE INDEX "Report_messageId_idx" ON "Report"("messageId");

-- CreateIndex
CREATE INDEX "Report_userId_idx" ON "Report"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Report_reporterId_openKey_key" ON "Report"("reporterId", "openKey");

-- CreateIndex
CREATE UNIQUE INDEX "ReportSnapshot_fileHoldId_key" ON "ReportSnapshot"("fileHoldId");

-- CreateIndex
CREATE INDEX "FileHold_storageKey_idx" ON "FileHold"("storageKey");

-- AddForeignKey
ALTER TABLE "Report" ADD CONSTRAINT "Report_reporterId_fkey" FOREIGN KEY ("reporterId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Report" ADD CONSTRAINT "Report_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Report" ADD CONSTRAINT "Report_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportSnapshot" ADD CONSTRAINT "ReportSnapshot_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "Report"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportSnapshot" ADD CONSTRAINT "ReportSnapshot_fileHoldId_fkey" FOREIGN KEY ("fileHoldId") REFERENCES "FileHold"("id") ON DELETE SET NULL ON UPDATE CASCADE;
