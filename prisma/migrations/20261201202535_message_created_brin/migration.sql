-- CreateIndex
CREATE INDEX "Message_createdAt_idx" ON "Message" USING BRIN ("createdAt");
