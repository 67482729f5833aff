-- CreateTable
CREATE TABLE "ChatInvite" (
    "id" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "code" VARCHAR(32) NOT NULL,
    "createdById" UUID,
    "inviteeId" UUID,
    "expiresAt" TIMESTAMPTZ(3),
    "maxUses" INTEGER,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "requiresApproval" BOOLEAN NOT NULL DEFAULT false,
    "revokedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChatInvite_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatJoinRequest" (
    "id" UUID NOT NULL,
    "chatId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChatJoinRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ChatInvite_code_key" ON "ChatInvite"("code");

-- CreateIndex
CREATE INDEX "ChatInvite_chatId_createdAt_idx" ON "ChatInvite"("chatId", "createdAt");

-- CreateIndex
CREATE INDEX "ChatInvite_inviteeId_idx" ON "ChatInvite"("inviteeId");

-- CreateIndex
CREATE INDEX "ChatInvite_createdById_idx" ON "ChatInvite"("createdById");

-- CreateIndex
CREATE UNIQUE INDEX "ChatInvite_chatId_inviteeId_key" ON "ChatInvite"("chatId", "inviteeId");

-- CreateIndex
CREATE INDEX "ChatJoinRequest_chatId_createdAt_idx" ON "ChatJoinRequest"("chatId", "createdAt");

-- CreateIndex
CREATE INDEX "ChatJoinRequest_userId_idx" ON "ChatJoinRequest"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "ChatJoinRequest_chatId_userId_key" ON "ChatJoinRequest"("chatId", "userId");

-- AddForeignKey
ALTER TABLE "ChatInvite" ADD CONSTRAINT "ChatInvite_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatInvite" ADD CONSTRAINT "ChatInvite_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatInvite" ADD CONSTRAINT "ChatInvite_inviteeId_fkey" FOREIGN KEY ("inviteeId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatJoinRequest" ADD CONSTRAINT "ChatJoinRequest_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatJoinRequest" ADD CONSTRAINT "ChatJoinRequest_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
