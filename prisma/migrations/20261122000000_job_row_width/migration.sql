-- The most cells any row of a job's upload holds, recorded at ingest: the download pads every
-- row (and the header) to it, so ragged rows keep the result columns under their header.
-- Jobs ingested before this column stay NULL; the download then measures their stored rows.

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN "row_width" INTEGER;
