--[[
  state/read (RedisJobStateStore): drops the finished jobs past their age (so an idle queue honours
  retention too: finish only runs when a job finishes), then reads one job and the completed count.

  KEYS[1]     the queue's id set        KEYS[2] completed zset        KEYS[3] dead zset
  ARGV[1]     job key prefix
  ARGV[2]     completedAgeMs (-1: no limit)
  ARGV[3]     deadAgeMs (-1: no limit)
  ARGV[4]     id ('' for none)
  Returns     { the job's hash (flat; empty for id '' or no such job), completed count,
              completed ids dropped, dead ids dropped } (the client drops both from the id index
              and warns about the dead ones)
  Errors      none
]]
--- @include "../_common.lua"

local now = now_ms()
local function expire(zkey, keep_age)
  local dropped = retain(zkey, -1, keep_age, now)
  for _, id in ipairs(dropped) do redis.call('SREM', KEYS[1], id) end
  return dropped
end
local completed = expire(KEYS[2], tonumber(ARGV[2]))
local dead = expire(KEYS[3], tonumber(ARGV[3]))
local job = {}
if ARGV[4] ~= '' then job = redis.call('HGETALL', job_key(ARGV[4])) end
return { job, redis.call('ZCARD', KEYS[2]), completed, dead }
