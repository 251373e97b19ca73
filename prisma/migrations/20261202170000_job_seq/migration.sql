-- A job-local integer key for the per-address tables (issue 13: the Postgres size of a job).
-- job_rows, results and email_facts named their job by its text id (`job_` + 24 characters,
-- 30 bytes stored) on every row and in every index entry: about 190 bytes per address. They now
-- name it by `jobs.seq`, an integer given to each job when it is inserted (4 bytes). The job's
-- public id does not change; the data layer finds the seq from it.
--
-- job_rows and results are rebuilt with the key first (job_seq, idx: 8 bytes, no padding) and
-- their rows copied over with their job's seq; results loses created_at, which nothing read
-- (an address's time is its fact's validated_at). email_facts keeps its rows: job_id becomes
-- job_seq (NULL for a fact whose job is gone: such a reference finds no result and is no fact).

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN "seq" SERIAL NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "jobs_seq_key" ON "jobs"("seq");

-- job_rows, rebuilt
CREATE TABLE "job_rows_new" (
    "job_seq" INTEGER NOT NULL,
    "idx" INTEGER NOT NULL,
    "fields" TEXT,
    "email" TEXT NOT NULL,
    "normalized" TEXT,
    "domain" TEXT NOT NULL DEFAULT '',
    "syntax_valid" BOOLEAN NOT NULL,
    "duplicate_of" INTEGER
);
INSERT INTO "job_rows_new" ("job_seq", "idx", "fields", "email", "normalized", "domain",
                            "syntax_valid", "duplicate_of")
SELECT j."seq", r."idx", r."fields", r."email", r."normalized", r."domain", r."syntax_valid",
       r."duplicate_of"
  FROM "job_rows" r JOIN "jobs" j ON j."id" = r."job_id";
DROP TABLE "job_rows";
ALTER TABLE "job_rows_new" RENAME TO "job_rows";
ALTER TABLE "job_rows" ADD CONSTRAINT "job_rows_pkey" PRIMARY KEY ("job_seq", "idx");
ALTER TABLE "job_rows" ADD CONSTRAINT "job_rows_job_seq_fkey" FOREIGN KEY ("job_seq") REFERENCES "jobs"("seq") ON DELETE CASCADE ON UPDATE CASCADE;
-- Work order of a job's unique addresses: grouped by domain so one SMTP session serves many.
-- (Prisma's schema language cannot express a partial index; it lives only here.)
CREATE INDEX "job_rows_work_order_idx" ON "job_rows"("job_seq", "domain", "idx") WHERE "duplicate_of" IS NULL;
-- Duplicates of a row, to count them as processed with their first occurrence.
CREATE INDEX "job_rows_duplicate_of_idx" ON "job_rows"("job_seq", "duplicate_of") WHERE "duplicate_of" IS NOT NULL;

-- results, rebuilt
CREATE TABLE "results_new" (
    "job_seq" INTEGER NOT NULL,
    "idx" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "did_you_mean" TEXT,
    "checks" JSONB NOT NULL
);
INSERT INTO "results_new" ("job_seq", "idx", "duration_ms", "status", "reason", "did_you_mean",
                           "checks")
SELECT j."seq", r."idx", r."duration_ms", r."status", r."reason", r."did_you_mean", r."checks"
  FROM "results" r JOIN "jobs" j ON j."id" = r."job_id";
DROP TABLE "results";
ALTER TABLE "results_new" RENAME TO "results";
ALTER TABLE "results" ADD CONSTRAINT "results_pkey" PRIMARY KEY ("job_seq", "idx");
ALTER TABLE "results" ADD CONSTRAINT "results_job_seq_fkey" FOREIGN KEY ("job_seq") REFERENCES "jobs"("seq") ON DELETE CASCADE ON UPDATE CASCADE;

-- email_facts: job_id -> job_seq
ALTER TABLE "email_facts" ADD COLUMN "job_seq" INTEGER;
UPDATE "email_facts" f SET "job_seq" = j."seq" FROM "jobs" j WHERE j."id" = f."job_id";
DROP INDEX "email_facts_job_id_idx";
ALTER TABLE "email_facts" DROP COLUMN "job_id";
-- Purging a deleted job removes the facts it left (not expressible in schema.prisma: partial).
CREATE INDEX "email_facts_job_seq_idx" ON "email_facts"("job_seq") WHERE "job_seq" IS NOT NULL;
