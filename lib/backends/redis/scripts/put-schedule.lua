--[[
  put-schedule: stores a schedule and enqueues its occurrence, in one step, only if the stored
  schedule's nextRunAt is the one the caller expects (compare-and-set: two processes moving the same
  schedule on, one wins). With withdrawPrevious, the stored schedule's occurrences (of its nextRunAt
  and takenTicks) are withdrawn first if they wait unrun. The occurrence is not enqueued when a job with its id is still kept here in
  any state (a tick is run once). Schedules are P:{Q}:schedules, key -> ScheduleRecord JSON.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  KEYS[8]     on a standalone server only: the id index (P:index), written in this same step
  ARGV[1]     job key prefix
  ARGV[2]     queue name
  ARGV[3]     schedule key
  ARGV[4]     the ScheduleRecord JSON to store
  ARGV[5]     expect: the stored nextRunAt (epoch ms), or '' for "none stored"
  ARGV[6]     withdrawPrevious: '1' or '0'
  ARGV[7]     the occurrence: job id
  ARGV[8]     its wire JSON
  ARGV[9]     its priority
  ARGV[10]    its runAt (epoch ms: the schedule's nextRunAt)
  ARGV[11]    nonce of this call
  Returns     { 1 stored / 0 compare-and-set failed, the ids withdrawn, 1 if the occurrence was enqueued }
  Errors      MINDTRACE_NOT_DECLARED, MINDTRACE_PRIORITY [queue type]
]]
--- @include "_prelude.lua"
--- @include "_one-job.lua"

local qtype = queue_type()
local queue, key, expect = ARGV[2], ARGV[3], ARGV[5]
local schedules = queue_key('schedules')
local stored = redis.call('HGET', schedules, key)
if expect == '' then
  if stored then return { 0, {}, 0 } end
else
  if not stored or tonumber(cjson.decode(stored).nextRunAt) ~= tonumber(expect) then return { 0, {}, 0 } end
end
local id, priority = ARGV[7], ARGV[9]
if tonumber(priority) ~= 0 and qtype ~= 'priority' then refuse('MINDTRACE_PRIORITY', { qtype }) end
local withdrawn = {}
if ARGV[6] == '1' and stored then
  -- Even when one has the new occurrence's id (a changed template, same tick): it then goes with the new one.
  withdrawn = withdraw_occurrences(queue, cjson.decode(stored))
end
redis.call('HSET', schedules, key, ARGV[4])
-- A job with this id kept in any state (or indexed under another queue): this tick was enqueued already.
if redis.call('EXISTS', job_key(id)) == 1 or (KEYS[8] and redis.call('HEXISTS', KEYS[8], id) == 1) then return { 1, withdrawn, 0 } end
add_job(qtype, queue, id, ARGV[8], priority, tonumber(ARGV[10]), ARGV[11], now_ms())
return { 1, withdrawn, 1 }
