--[[
  extend: keeps a held job's lease alive, from now.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     id
  ARGV[3]     lease token the caller holds it under
  ARGV[4]     leaseMs: the new lease, counted from now
  Returns     1
  Errors      MINDTRACE_LEASE_LOST [id]
]]
--- @include "_prelude.lua"

local id = ARGV[2]
if not holds(id, ARGV[3]) then refuse('MINDTRACE_LEASE_LOST', { id }) end
redis.call('ZADD', KEYS[4], 'XX', now_ms() + tonumber(ARGV[4]), id)
return 1
