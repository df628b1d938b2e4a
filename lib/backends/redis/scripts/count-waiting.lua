--[[
  count-waiting: promotes what is due (delayed jobs, leases that ran out), then counts the waiting jobs.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  Returns     the number of jobs in wait
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

promote(queue_type(), now_ms())
return redis.call('ZCARD', KEYS[2])
