-- publish(count, then per job: id, json, priority, delayMs): all jobs or none.
-- A job whose id exists with the very same data is a resend of this publish (the reply was lost
-- with the connection and ioredis sent it again): it is skipped, not refused.
local qtype = queue_type()
local count = tonumber(ARGV[2])
local resent = {}
for i = 0, count - 1 do
  local id = ARGV[3 + i * 4]
  if tonumber(ARGV[5 + i * 4]) ~= 0 and qtype ~= 'priority' then
    return redis.error_reply('MINDTRACE_PRIORITY ' .. qtype)
  end
  local existing = redis.call('HGET', job_key(id), 'data')
  if existing == ARGV[4 + i * 4] then
    resent[i] = true
  elseif existing then
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
  if resent[i] then
    -- already enqueued by the first send
  elseif delay > 0 then
    redis.call('HSET', jk, 'data', ARGV[4 + i * 4], 'priority', ARGV[5 + i * 4], 'attempt', 0, 'status', 'delayed', 'runAt', now + delay)
    redis.call('ZADD', KEYS[3], now + delay, id)
    delayed = 1
  else
    redis.call('HSET', jk, 'data', ARGV[4 + i * 4], 'priority', ARGV[5 + i * 4], 'attempt', 0, 'status', 'waiting')
    enqueue(qtype, id, false)
    ready = ready + 1
  end
end
-- A delayed job wakes one idle consumer too, so it can set its sleep to the new due time.
notify(math.max(ready, delayed))
return count
