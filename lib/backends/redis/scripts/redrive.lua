--[[
  redrive: moves dead letters back to wait with attempt 0 and no stalls; all or none.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     all: '1' for every dead letter, '0' for the ids that follow
  ARGV[3..]   ids (all = '0')
  Returns     how many jobs were redriven
  Errors      MINDTRACE_NOT_DECLARED, MINDTRACE_NOT_DEAD [ids that are not dead letters here]
]]
--- @include "_prelude.lua"

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
  if #missing > 0 then refuse('MINDTRACE_NOT_DEAD', missing) end
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
