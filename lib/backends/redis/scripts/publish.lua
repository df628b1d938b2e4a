-- publish(count, then per job: id, json, priority, delayMs): all jobs or none.
local qtype = queue_type()
local count = tonumber(ARGV[2])
for i = 0, count - 1 do
  local id = ARGV[3 + i * 4]
  if tonumber(ARGV[5 + i * 4]) ~= 0 and qtype ~= 'priority' then
    return redis.error_reply('MINDTRACE_PRIORITY ' .. qtype)
  end
  if redis.call('EXISTS', job_key(id)) == 1 then
    return redis.error_reply('MINDTRACE_DUPLICATE ' .. id)
  end
end
local now = now_ms()
local ready = 0
local delayed = 0
for i = 0, count - 1 do
  local id = ARGV[3 + i * 4]
  local jk = job_key(id)
  local delay = tonumber(ARGV[6 + i * 4])
  redis.call('HSET', jk, 'data', ARGV[4 + i * 4], 'priority', ARGV[5 + i * 4], 'attempt', 0)
  if delay > 0 then
    redis.call('HSET', jk, 'status', 'delayed', 'runAt', now + delay)
    redis.call('ZADD', KEYS[3], now + delay, id)
    delayed = 1
  else
    redis.call('HSET', jk, 'status', 'waiting')
    enqueue(qtype, id, false)
    ready = ready + 1
  end
end
-- A delayed job wakes one idle consumer too, so it can set its sleep to the new due time.
notify(math.max(ready, delayed))
return count
