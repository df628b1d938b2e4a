-- getJob(id): promotes what is due (so the status is current), then returns the job's hash.
promote(queue_type(), now_ms())
return redis.call('HGETALL', job_key(ARGV[2]))
