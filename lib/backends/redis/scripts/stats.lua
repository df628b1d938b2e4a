-- stats(): promotes what is due, then counts { waiting, delayed, active, completed, dead }.
promote(queue_type(), now_ms())
return {
  redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]),
  redis.call('ZCARD', KEYS[6]), redis.call('ZCARD', KEYS[5]),
}
