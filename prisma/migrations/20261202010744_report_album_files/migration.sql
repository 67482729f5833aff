-- CreateTable
CREATE TABLE "ReportSnapshotFile" (
    "reportId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "mimeType" VARCHAR(127) NOT NULL,
    "size" INTEGER NOT NULL,
    "fileName" VARCHAR(255),
    "width" INTEGER,
    "height" INTEGER,
    "checksum" CHAR(64) NOT NULL,
    "holdId" UUID,

    CONSTRAINT "ReportSnapshotFile_pkey" PRIMARY KEY ("reportId","position")
);

-- CreateIndex
CREATE UNIQUE INDEX "ReportSnapshotFile_holdId_key" ON "ReportSnapshotFile"("holdId");

-- AddForeignKey
ALTER TABLE "ReportSnapshotFile" ADD CONSTRAINT "ReportSnapshotFile_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "ReportSnapshot"("reportId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportSnapshotFile" ADD CONSTRAINT "ReportSnapshotFile_holdId_fkey" FOREIGN KEY ("holdId") REFERENCES "FileHold"("id") ON DELETE SET NULL ON UPDATE CASCADE;
