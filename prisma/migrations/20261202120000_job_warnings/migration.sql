-- Trouble on the probing side that a job met (a resolver failing its canaries, no way out to
-- port 25, a failing SOCKS proxy): one entry per kind, `{"code": ..., "message": ...}`, shown in
-- the job resource's `warnings` (docs/network.md).

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN "warnings" JSONB NOT NULL DEFAULT '[]';
