-- email_facts names its account by an integer (issue 13: the Postgres size of a job). Every fact
-- and every entry of its primary key (account, mode, address) repeated the account's text id
-- (`acct_` + 24 characters, 30 bytes); they now hold `accounts.seq` (4 bytes), given to each
-- account when it is inserted. The API still knows accounts by their id; the data layer finds
-- the seq from it. The table is rebuilt with its fixed-width columns first (no padding) and its
-- rows copied over.

-- AlterTable
ALTER TABLE "accounts" ADD COLUMN "seq" SERIAL NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "accounts_seq_key" ON "accounts"("seq");

-- email_facts, rebuilt
CREATE TABLE "email_facts_new" (
    "account_seq" INTEGER NOT NULL,
    "job_seq" INTEGER,
    "validated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "idx" INTEGER,
    "mode" TEXT NOT NULL,
    "normalized" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "reason" TEXT,
    "did_you_mean" TEXT,
    "checks" JSONB
);
INSERT INTO "email_facts_new" ("account_seq", "job_seq", "validated_at", "idx", "mode",
                               "normalized", "domain", "status", "source", "reason",
                               "did_you_mean", "checks")
SELECT a."seq", f."job_seq", f."validated_at", f."idx", f."mode", f."normalized", f."domain",
       f."status", f."source", f."reason", f."did_you_mean", f."checks"
  FROM "email_facts" f JOIN "accounts" a ON a."id" = f."account_id"
 ORDER BY f."validated_at";
DROP TABLE "email_facts";
ALTER TABLE "email_facts_new" RENAME TO "email_facts";
ALTER TABLE "email_facts" ADD CONSTRAINT "email_facts_pkey" PRIMARY KEY ("account_seq", "mode", "normalized");
ALTER TABLE "email_facts" ADD CONSTRAINT "email_facts_account_seq_fkey" FOREIGN KEY ("account_seq") REFERENCES "accounts"("seq") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateIndex
CREATE INDEX "email_facts_account_seq_mode_domain_idx" ON "email_facts"("account_seq", "mode", "domain");
-- Purging a deleted job removes the facts it left (not expressible in schema.prisma: partial).
CREATE INDEX "email_facts_job_seq_idx" ON "email_facts"("job_seq") WHERE "job_seq" IS NOT NULL;
-- Facts are written in time order: a BRIN index finds those older than a retention.
CREATE INDEX "email_facts_validated_at_idx" ON "email_facts" USING BRIN ("validated_at");
