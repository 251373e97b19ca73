-- What an account already knows of an address (GET /v1/enrichment): the latest verdict of each
-- address it validated, per key mode (test-key verdicts are simulated and never mix with live).

-- CreateTable
CREATE TABLE "email_facts" (
    "account_id" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "normalized" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "did_you_mean" TEXT,
    "checks" JSONB NOT NULL,
    "source" TEXT NOT NULL,
    "job_id" TEXT,
    "validated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_facts_pkey" PRIMARY KEY ("account_id","mode","normalized")
);

-- CreateIndex
CREATE INDEX "email_facts_account_id_mode_domain_idx" ON "email_facts"("account_id", "mode", "domain");

-- AddForeignKey
ALTER TABLE "email_facts" ADD CONSTRAINT "email_facts_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The wallet never goes below zero, whatever path moves credits (moveCredits already refuses;
-- this makes the rule the database's too). Prisma's schema language cannot express it.
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_credit_balance_check" CHECK ("credit_balance" >= 0);

-- Purging a deleted job removes the facts it left (not expressible in schema.prisma: partial).
CREATE INDEX "email_facts_job_id_idx" ON "email_facts"("job_id") WHERE "job_id" IS NOT NULL;
