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
-- Sequence numbers for the jobs ready now, taken in one step: their places follow publish order.
local ready = 0
for i = 0, count - 1 do
  if not resent[i] and tonumber(ARGV[6 + i * 4]) <= 0 then ready = ready + 1 end
end
local seq = 0
if ready > 0 then seq = redis.call('HINCRBY', KEYS[1], 'seq', ready) - ready end
local waiting, later = {}, {}
for i = 0, count - 1 do
  local id = ARGV[3 + i * 4]
  local jk = job_key(id)
  local priority = ARGV[5 + i * 4]
  local delay = tonumber(ARGV[6 + i * 4])
  if resent[i] then
    -- already enqueued by the first send
  elseif delay > 0 then
    redis.call('HSET', jk, 'data', ARGV[4 + i * 4], 'priority', priority, 'attempt', 0, 'status', 'delayed', 'runAt', now + delay)
    later[#later + 1] = now + delay
    later[#later + 1] = id
  else
    seq = seq + 1
    local member, score = place(qtype, seq, id, priority)
    redis.call('HSET', jk, 'data', ARGV[4 + i * 4], 'priority', priority, 'attempt', 0, 'status', 'waiting', 'member', member, 'score', score)
    waiting[#waiting + 1] = score
    waiting[#waiting + 1] = member
  end
end
zadd_all(KEYS[2], waiting)
zadd_all(KEYS[3], later)
-- A delayed job wakes one idle consumer too, so it can set its sleep to the new due time.
local delayed = 0
if #later > 0 then delayed = 1 end
notify(math.max(ready, delayed))
return count
