--[[
  purge-dead: deletes every dead letter of the queue.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  Returns     their ids (the client drops them from the id index)
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

queue_type()
local ids = redis.call('ZRANGE', KEYS[5], 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', job_key(id)) end
redis.call('DEL', KEYS[5])
return ids
