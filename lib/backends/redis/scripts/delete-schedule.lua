--[[
  delete-schedule: removes a schedule and withdraws its occurrence if it has not started (waiting or
  delayed, attempt 0); one that started runs to its end, and no next tick follows it.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  KEYS[8]     on a standalone server only: the id index (P:index)
  ARGV[1]     job key prefix
  ARGV[2]     queue name
  ARGV[3]     schedule key
  Returns     { 1 if the schedule existed, the id withdrawn or false }
  Errors      none (a queue not declared has no schedules)
]]
--- @include "_prelude.lua"
--- @include "_one-job.lua"

local schedules = queue_key('schedules')
local stored = redis.call('HGET', schedules, ARGV[3])
if not stored then return { 0, false } end
redis.call('HDEL', schedules, ARGV[3])
local id = occurrence_id(ARGV[2], ARGV[3], tonumber(cjson.decode(stored).nextRunAt))
if withdraw_unstarted(id) then return { 1, id } end
return { 1, false }
