-- AlterTable
ALTER TABLE "File" ADD COLUMN     "blurhash" VARCHAR(64),
ADD COLUMN     "durationMs" INTEGER,
ADD COLUMN     "posterKey" VARCHAR(255),
ADD COLUMN     "posterMimeType" VARCHAR(127),
ADD COLUMN     "posterSize" INTEGER,
ADD COLUMN     "waveform" BYTEA;

-- AlterTable
ALTER TABLE "FileHold" ADD COLUMN     "blurhash" VARCHAR(64),
ADD COLUMN     "durationMs" INTEGER,
ADD COLUMN     "posterKey" VARCHAR(255),
ADD COLUMN     "posterMimeType" VARCHAR(127),
ADD COLUMN     "posterSize" INTEGER,
ADD COLUMN     "waveform" BYTEA;
