--[[
  state/redrive (RedisJobStateStore): records dead letters moved back to the work queue as waiting
  with attempt 0, but only a job it does not know or still shows dead of the failure its dead letter
  carries (any dead, if it carries none). The broker has them back before this runs, so a consumer
  may already have taken one (started it, finished it, even dead-lettered it again): that newer state
  stands, losing only the old failure as its error (JobStateStore.redriven says why this order).

  KEYS[1]     the queue's id set        KEYS[2] completed zset        KEYS[3] dead zset
  ARGV[1]     job key prefix
  ARGV[2..]   four per job: id, its record (JSON, attempt 0), priority, its dead letter's failedAt
              ('' for none)
  Returns     the ids recorded as waiting (the others had moved on)
  Errors      none
]]
--- @include "../_common.lua"

-- failedAt of the job's stored error; nil if it has none, or one another producer wrote unreadable.
local function stored_failed_at(jk)
  local raw = redis.call('HGET', jk, 'error')
  if not raw then return nil end
  local ok, failure = pcall(cjson.decode, raw)
  if ok and type(failure) == 'table' and type(failure.failedAt) == 'string' then return failure.failedAt end
  return nil
end

local redriven = {}
for i = 2, #ARGV, 4 do
  local id, failed_at = ARGV[i], ARGV[i + 3]
  local jk = job_key(id)
  local status = redis.call('HGET', jk, 'status')
  local dead_life_error = failed_at ~= '' and stored_failed_at(jk) == failed_at
  if not status or (status == 'dead' and (failed_at == '' or dead_life_error)) then
    redis.call('HDEL', jk, 'error', 'result', 'startedAt', 'finishedAt', 'runAt')
    redis.call('HSET', jk, 'data', ARGV[i + 1], 'status', 'waiting', 'attempt', 0, 'priority', ARGV[i + 2])
    -- Waiting again: no longer expires with its dead letter's age.
    redis.call('PERSIST', jk)
    redis.call('SADD', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
    redriven[#redriven + 1] = id
  elseif dead_life_error then
    redis.call('HDEL', jk, 'error')
  end
end
return redriven
