--[[
  stats: promotes what is due and drops finished jobs past their age (so an idle queue honours
  retention too), then counts the jobs in each state.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     completedAgeMs (-1: no limit)
  ARGV[3]     deadAgeMs (-1: no limit)
  Returns     { waiting, delayed, active, completed, dead, ids dropped (for the id index), 1 if paused else 0 }
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

local now = now_ms()
promote(queue_type(), now)
local dropped = drop_past_age(tonumber(ARGV[2]), tonumber(ARGV[3]), now)
return {
  redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]),
  redis.call('ZCARD', KEYS[6]), redis.call('ZCARD', KEYS[5]), dropped, redis.call('HEXISTS', KEYS[1], 'paused'),
}
