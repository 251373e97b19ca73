-- An account's own monthly quota (a custom / enterprise plan), set by an operator. NULL: the
-- plan's quota applies. Everything else of the plan (rates, grace, SMTP) stays the plan's.

-- AlterTable
ALTER TABLE "accounts" ADD COLUMN "monthly_quota" INTEGER;
