-- CreateTable
CREATE TABLE "accounts" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "plan" TEXT NOT NULL,
    "credit_balance" INTEGER NOT NULL DEFAULT 0,
    "webhook_secret" TEXT NOT NULL,
    "webhook_secret_previous" TEXT,
    "webhook_secret_rotated_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "scopes" TEXT[],
    "ip_allowlist" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "expires_at" TIMESTAMPTZ(3),
    "disabled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credit_ledger" (
    "id" BIGSERIAL NOT NULL,
    "account_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "balance_after" INTEGER NOT NULL,
    "job_id" TEXT,
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_ledger_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "name" TEXT,
    "source" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "total" INTEGER NOT NULL,
    "unique_count" INTEGER NOT NULL,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "deliverable" INTEGER NOT NULL DEFAULT 0,
    "undeliverable" INTEGER NOT NULL DEFAULT 0,
    "risky" INTEGER NOT NULL DEFAULT 0,
    "unknown" INTEGER NOT NULL DEFAULT 0,
    "credits_reserved" INTEGER NOT NULL DEFAULT 0,
    "credits_charged" INTEGER NOT NULL DEFAULT 0,
    "webhook_url" TEXT,
    "smtp" BOOLEAN NOT NULL DEFAULT true,
    "quick_mode" BOOLEAN NOT NULL DEFAULT false,
    "idempotency_key" TEXT,
    "request_hash" TEXT,
    "columns" JSONB,
    "delimiter" TEXT,
    "email_column" INTEGER,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "deleted_at" TIMESTAMPTZ(3),
    "ingested_at" TIMESTAMPTZ(3),

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_uploads" (
    "job_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "job_uploads_pkey" PRIMARY KEY ("job_id","seq")
);

-- Uploads are short-lived and mostly incompressible for pglz's budget: skip TOAST compression,
-- which costs the request path CPU. (Not expressible in schema.prisma.)
ALTER TABLE "job_uploads" ALTER COLUMN "data" SET STORAGE EXTERNAL;

-- CreateTable
CREATE TABLE "job_rows" (
    "job_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,
    "fields" TEXT,
    "email" TEXT NOT NULL,
    "normalized" TEXT,
    "domain" TEXT NOT NULL DEFAULT '',
    "syntax_valid" BOOLEAN NOT NULL,
    "duplicate_of" INTEGER,

    CONSTRAINT "job_rows_pkey" PRIMARY KEY ("job_id","idx")
);

-- CreateTable
CREATE TABLE "results" (
    "job_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "did_you_mean" TEXT,
    "checks" JSONB NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "results_pkey" PRIMARY KEY ("job_id","idx")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "api_keys_account_id_idx" ON "api_keys"("account_id");

-- CreateIndex
CREATE INDEX "credit_ledger_account_id_created_at_idx" ON "credit_ledger"("account_id", "created_at");

-- CreateIndex
CREATE INDEX "jobs_account_id_created_at_id_idx" ON "jobs"("account_id", "created_at" DESC, "id" DESC);

-- An Idempotency-Key binds one live job of an account; a deleted job frees its key.
-- (Partial: schema.prisma declares it as a plain index.)
CREATE UNIQUE INDEX "jobs_account_id_idempotency_key_key" ON "jobs"("account_id", "idempotency_key") WHERE "deleted_at" IS NULL;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_ledger" ADD CONSTRAINT "credit_ledger_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_uploads" ADD CONSTRAINT "job_uploads_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_rows" ADD CONSTRAINT "job_rows_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "results" ADD CONSTRAINT "results_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Work order of a job's unique addresses: grouped by domain so one SMTP session serves many.
-- (Prisma's schema language cannot express a partial index; it lives only here.)
CREATE INDEX "job_rows_work_order_idx" ON "job_rows"("job_id", "domain", "idx") WHERE "duplicate_of" IS NULL;

-- Duplicates of a row, to count them as processed with their first occurrence.
CREATE INDEX "job_rows_duplicate_of_idx" ON "job_rows"("job_id", "duplicate_of") WHERE "duplicate_of" IS NOT NULL;
