--[[
  clean: drops the queue's waiting and delayed jobs (held, finished and dead ones stay).

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     the queue's finished channel: told "*" when jobs were dropped
  Returns     the ids dropped (the client drops them from the id index)
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

queue_type()
local ids = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do ids[#ids + 1] = id_of(member) end
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do ids[#ids + 1] = id end
for _, id in ipairs(ids) do redis.call('DEL', job_key(id)) end
redis.call('DEL', KEYS[2], KEYS[3])
if #ids > 0 then redis.call('PUBLISH', ARGV[2], '*') end
return ids
