-- redrive(all, ids...): moves dead letters back to waiting with attempt 0; all or none.
local qtype = queue_type()
local ids = {}
if ARGV[2] == '1' then
  ids = redis.call('ZRANGE', KEYS[5], 0, -1)
else
  local missing, seen = {}, {}
  for i = 3, #ARGV do
    if redis.call('ZSCORE', KEYS[5], ARGV[i]) == false then missing[#missing + 1] = ARGV[i] end
    if not seen[ARGV[i]] then ids[#ids + 1] = ARGV[i] end
    seen[ARGV[i]] = true
  end
  if #missing > 0 then return redis.error_reply('MINDTRACE_NOT_DEAD ' .. table.concat(missing, ',')) end
end
for _, id in ipairs(ids) do
  local jk = job_key(id)
  redis.call('ZREM', KEYS[5], id)
  redis.call('HDEL', jk, 'error', 'result', 'startedAt', 'finishedAt', 'stalls')
  redis.call('HSET', jk, 'attempt', 0, 'status', 'waiting')
  -- Dead letters expire with their retention age; a redriven job is live again.
  redis.call('PERSIST', jk)
  enqueue(qtype, id, false)
end
notify(#ids)
return #ids
