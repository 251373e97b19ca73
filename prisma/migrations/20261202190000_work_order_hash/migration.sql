-- Work order keyed on a 4-byte hash of the domain (issue 13: the Postgres size of a job).
-- The index on (job_seq, domain, idx) cost 83 B per address at 1M rows (rows arrive in input
-- order, the index is in domain order, so its pages split half full) and about half of the
-- ingest COPY's Postgres time. hashtext(domain) keeps a domain's addresses together in 4 bytes
-- instead of the domain's text; two domains sharing a hash share a group, which is harmless: the
-- chunk worker groups its rows by the real domain. An expression index, so job_rows gains no
-- column (hashtext is IMMUTABLE). Chunk boundaries become (hashtext(domain), idx) pairs in this
-- order; a task queued before carries (domain, idx) and is still served (by a scan of the job).
-- One domain's rows of a job: WHERE job_seq = $1 AND hashtext(domain) = hashtext($2)
-- AND domain = $2 AND duplicate_of IS NULL.
-- (Prisma's schema language cannot express a partial expression index; it lives only here.)
DROP INDEX "job_rows_work_order_idx";
CREATE INDEX "job_rows_work_order_idx" ON "job_rows"("job_seq", hashtext("domain"), "idx") WHERE "duplicate_of" IS NULL;
