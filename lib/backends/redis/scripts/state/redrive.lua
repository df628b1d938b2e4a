--[[
  state/redrive (RedisJobStateStore): records dead letters moved back to the work queue as waiting
  with attempt 0, but only the jobs it still shows dead or does not know. The broker has them back
  before this runs, so a consumer may already have taken one (started or finished it): that newer
  state stands (JobStateStore.redriven says why this order).

  KEYS[1]     the queue's id set        KEYS[2] completed zset        KEYS[3] dead zset
  ARGV[1]     job key prefix
  ARGV[2..]   three per job: id, its record (JSON, attempt 0), priority
  Returns     the ids recorded as waiting (the others had moved on)
  Errors      none
]]
--- @include "../_common.lua"

local redriven = {}
for i = 2, #ARGV, 3 do
  local id = ARGV[i]
  local jk = job_key(id)
  local status = redis.call('HGET', jk, 'status')
  if not status or status == 'dead' then
    redis.call('HDEL', jk, 'error', 'result', 'startedAt', 'finishedAt', 'runAt')
    redis.call('HSET', jk, 'data', ARGV[i + 1], 'status', 'waiting', 'attempt', 0, 'priority', ARGV[i + 2])
    -- Waiting again: no longer expires with its dead letter's age.
    redis.call('PERSIST', jk)
    redis.call('SADD', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
    redriven[#redriven + 1] = id
  end
end
return redriven
