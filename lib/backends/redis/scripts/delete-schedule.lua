--[[
  delete-schedule: removes a schedule and withdraws its occurrences that wait unrun (waiting or delayed,
  attempt 0): the one of its nextRunAt, and those of its takenTicks, which may have been given back.
  One that started runs to its end, and no next tick follows it.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  KEYS[8]     on a standalone server only: the id index (P:index)
  ARGV[1]     job key prefix
  ARGV[2]     queue name
  ARGV[3]     schedule key
  Returns     { 1 if the schedule existed, the ids withdrawn }
  Errors      none (a queue not declared has no schedules)
]]
--- @include "_prelude.lua"
--- @include "_one-job.lua"

local schedules = queue_key('schedules')
local stored = redis.call('HGET', schedules, ARGV[3])
if not stored then return { 0, {} } end
redis.call('HDEL', schedules, ARGV[3])
return { 1, withdraw_occurrences(ARGV[2], cjson.decode(stored)) }
