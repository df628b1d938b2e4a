-- countWaiting(): promotes what is due, then counts the waiting jobs.
promote(queue_type(), now_ms())
return redis.call('ZCARD', KEYS[2])
