-- declare(type): creates the queue, or checks an existing one has the same type.
local existing = redis.call('HGET', KEYS[1], 'type')
if existing then
  if existing ~= ARGV[2] then
    return redis.error_reply('MINDTRACE_TYPE_MISMATCH ' .. existing)
  end
  return 0
end
redis.call('HSET', KEYS[1], 'type', ARGV[2], 'seq', 0)
return 1
