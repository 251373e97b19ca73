-- An account's own daily allowance of test-key emails. NULL: the TEST_DAILY_LIMIT default.
-- The demo account that `npm start` prints gets its own (DEMO_TEST_DAILY_LIMIT), so a new user
-- can try a real-sized list with the test key.

-- AlterTable
ALTER TABLE "accounts" ADD COLUMN "test_daily_limit" INTEGER;
