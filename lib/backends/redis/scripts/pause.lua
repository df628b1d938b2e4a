--[[
  pause: pauses or resumes the queue. Paused (meta "paused"), no fetch or completeAndFetch hands out
  its jobs, in any process (take_jobs reads the flag with the queue's type). Resuming promotes what
  fell due meanwhile and pushes wake tokens, so consumers blocked on notify take the jobs at once.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     '1' pause, '0' resume
  Returns     1 if the queue's state changed, 0 if it already was so
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

local qtype = queue_type()
if ARGV[2] == '1' then return redis.call('HSETNX', KEYS[1], 'paused', '1') end
if redis.call('HDEL', KEYS[1], 'paused') == 0 then return 0 end
promote(qtype, now_ms())
-- One token per ready job (notify caps them), and one more so a consumer recomputes its sleep for
-- the delayed jobs and leases it ignored while paused.
notify(redis.call('ZCARD', KEYS[2]) + 1)
return 1
