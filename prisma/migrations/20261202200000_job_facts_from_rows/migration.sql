-- A job's email facts are no longer rows of their own (issue 13: the Postgres size of a job and
-- the chunk flush). What GET /v1/enrichment knows from a job is read from the job itself: its
-- rows (the address, its domain) and results (the verdict), found by the address through
-- job_rows_address_idx. email_facts keeps the facts that have no job behind them: synchronous
-- validations, and facts a job left inline before this release whose job is gone.

-- Facts that name a job still stored are read from that job from now on; references whose job is
-- gone were no fact already.
DELETE FROM "email_facts" f
 WHERE f."job_seq" IS NOT NULL
   AND (f."checks" IS NULL OR EXISTS (SELECT 1 FROM "jobs" j WHERE j."seq" = f."job_seq"));

DROP INDEX "email_facts_job_seq_idx";
ALTER TABLE "email_facts" DROP COLUMN "job_seq", DROP COLUMN "idx";
ALTER TABLE "email_facts" ALTER COLUMN "reason" SET NOT NULL, ALTER COLUMN "checks" SET NOT NULL;

-- An address's rows in every job, for enrichment: by a 4-byte hash of the normalised address
-- (job_rows keeps it NULL where it equals the address as written), only where a fact can be
-- (valid syntax, the first occurrence in its job). Readers compare the address itself too.
-- ~30 bytes an entry whatever the address' length (a hash index took ~48, a btree of the text more).
CREATE INDEX "job_rows_address_idx" ON "job_rows" (hashtext(COALESCE("normalized", "email")))
  WHERE "duplicate_of" IS NULL AND "syntax_valid";
