-- Results retention (docs/retention.md). A job keeps its rows, results and webhook log for
-- `retention_days` after it ends (`expires_at`); then it answers 404 and the purge task removes
-- it. The days are the account's own (`accounts.results_retention_days`, set by an operator) or
-- RESULTS_RETENTION_DAYS, stamped when the job is created and re-stamped when an operator changes
-- the account's retention. Jobs that ended before this migration get 30 days (the default).

-- AlterTable
ALTER TABLE "accounts" ADD COLUMN "results_retention_days" INTEGER;
ALTER TABLE "jobs" ADD COLUMN "retention_days" INTEGER NOT NULL DEFAULT 30;
ALTER TABLE "jobs" ADD COLUMN "expires_at" TIMESTAMPTZ(3);

UPDATE "jobs" SET "expires_at" = "completed_at" + make_interval(days => "retention_days")
 WHERE "completed_at" IS NOT NULL;

-- CreateIndex
-- (Partial: only ended jobs expire. schema.prisma declares it as a plain index.)
CREATE INDEX "jobs_expires_at_idx" ON "jobs"("expires_at") WHERE "expires_at" IS NOT NULL;

-- CreateIndex
-- A BRIN index (a few pages for millions of rows, next to nothing per write): facts are written
-- in time order, so it finds the facts older than a retention without a btree on the hot table.
CREATE INDEX "email_facts_validated_at_idx" ON "email_facts" USING BRIN ("validated_at");
