-- 0004: callback workers claim due jobs per priority (weighted by
-- queue_level_*); this index serves "pending, this priority, oldest due first".
CREATE INDEX callback_jobs_claim ON callback_jobs (status, priority, next_attempt_at);
