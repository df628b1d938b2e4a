--[[
  retry: the held job's attempt failed: records the error, and the job is due again after the delay
  (in delayed, or straight back in wait). A resend of this very retry is answered as done.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     id
  ARGV[3]     lease token the caller holds it under
  ARGV[4]     error (JobFailure JSON)
  ARGV[5]     delayMs (0: due now)
  Returns     1
  Errors      MINDTRACE_LEASE_LOST [id], MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

local id = ARGV[2]
local jk = take_held(id, ARGV[3])
if not jk then return 1 end
local delay = tonumber(ARGV[5])
redis.call('HSET', jk, 'status', 'failed', 'error', ARGV[4])
if delay > 0 then
  local run_at = now_ms() + delay
  redis.call('HSET', jk, 'runAt', run_at)
  redis.call('ZADD', KEYS[3], run_at, id)
  -- A consumer asleep until a later due time must recompute when to wake.
  notify(1)
else
  enqueue(queue_type(), id, false)
  notify(1)
end
return 1
