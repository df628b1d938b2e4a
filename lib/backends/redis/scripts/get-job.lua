--[[
  get-job: promotes what is due and drops finished jobs past their age (so an idle queue honours
  retention too), then reads one job.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     id
  ARGV[3]     completedAgeMs (-1: no limit)
  ARGV[4]     deadAgeMs (-1: no limit)
  Returns     { the job's hash, flat (empty: no such job), ids dropped (for the id index) }. A job key
              that is not a hash (a foreign write no fetch has set aside yet) reads as
              { 'problem', what it holds }.
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

local now = now_ms()
promote(queue_type(), now)
local dropped = drop_past_age(tonumber(ARGV[3]), tonumber(ARGV[4]), now)
local jk = job_key(ARGV[2])
local fields = redis.pcall('HGETALL', jk)
if fields.err then fields = { 'problem', 'its key holds a ' .. redis.call('TYPE', jk).ok .. ', not a hash' } end
return { fields, dropped }
