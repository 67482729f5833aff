-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "previewDescription" VARCHAR(1000),
ADD COLUMN     "previewImageId" UUID,
ADD COLUMN     "previewSiteName" VARCHAR(100),
ADD COLUMN     "previewTitle" VARCHAR(300),
ADD COLUMN     "previewUrl" VARCHAR(2048);

-- CreateIndex
CREATE INDEX "Message_previewImageId_idx" ON "Message"("previewImageId");

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_previewImageId_fkey" FOREIGN KEY ("previewImageId") REFERENCES "File"("id") ON DELETE SET NULL ON UPDATE CASCADE;
