-- The email fact of a job's address is a reference to its result (issue 13: the Postgres size of a
-- job). It keeps what the domain counts of GET /v1/enrichment group by (domain, status) and
-- `idx`, which with `job_id` names the result that holds the rest (reason, did_you_mean, checks):
-- those three stay NULL on such a row. A fact of synchronous validation (source `validate`) has no
-- result row and keeps its verdict inline, as every fact did before; facts written before this
-- migration are inline too and read as they are.

-- AlterTable
ALTER TABLE "email_facts" ADD COLUMN "idx" INTEGER;
ALTER TABLE "email_facts" ALTER COLUMN "reason" DROP NOT NULL;
ALTER TABLE "email_facts" ALTER COLUMN "checks" DROP NOT NULL;
