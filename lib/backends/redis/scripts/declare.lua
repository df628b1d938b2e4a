--[[
  declare: creates the queue, or checks that an existing one has the same type.

  KEYS[1..7]  the queue's keys (_prelude.lua); only meta is touched
  ARGV[1]     job key prefix (unused)
  ARGV[2]     type: fifo, stack or priority
  Returns     1 when created, 0 when it existed with this type
  Errors      MINDTRACE_TYPE_MISMATCH [existing type, requested type]
]]
--- @include "_prelude.lua"

local existing = redis.call('HGET', KEYS[1], 'type')
if existing then
  if existing ~= ARGV[2] then refuse('MINDTRACE_TYPE_MISMATCH', { existing, ARGV[2] }) end
  return 0
end
redis.call('HSET', KEYS[1], 'type', ARGV[2], 'seq', 0)
return 1
