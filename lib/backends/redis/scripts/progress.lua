--[[
  progress: records what a held job's run reported (its hash's "progress", JSON). Kept when the job is
  retried; shown by get-job.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     id
  ARGV[3]     lease token the caller holds it under
  ARGV[4]     progress JSON
  Returns     1
  Errors      MINDTRACE_LEASE_LOST [id]
]]
--- @include "_prelude.lua"

local id = ARGV[2]
if not holds(id, ARGV[3]) then refuse('MINDTRACE_LEASE_LOST', { id }) end
redis.call('HSET', job_key(id), 'progress', ARGV[4])
return 1
