--[[
  state/forget (RedisJobStateStore): drops the queue's jobs in the given statuses (all of them when
  none is given): clean, purge and delete on the backend.

  KEYS[1]     the queue's id set        KEYS[2] completed zset        KEYS[3] dead zset
  ARGV[1]     job key prefix
  ARGV[2]     the queue's finished channel: told "*" when jobs were dropped
  ARGV[3..]   statuses
  Returns     the ids dropped (the client drops them from the id index)
  Errors      none
]]
--- @include "../_common.lua"

local wanted = {}
for i = 3, #ARGV do wanted[ARGV[i]] = true end
local all = #ARGV < 3
local dropped = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local jk = job_key(id)
  local status = redis.call('HGET', jk, 'status')
  if all or not status or wanted[status] then
    redis.call('DEL', jk)
    redis.call('SREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
    dropped[#dropped + 1] = id
  end
end
if #dropped > 0 then redis.call('PUBLISH', ARGV[2], '*') end
return dropped
