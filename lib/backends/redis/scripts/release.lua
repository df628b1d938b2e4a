--[[
  release: gives a held job back untried, in its old place; its attempt is not counted (a consumer
  stopping with jobs taken ahead). A resend of this very release is answered as done.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     id
  ARGV[3]     lease token the caller holds it under
  Returns     1
  Errors      MINDTRACE_LEASE_LOST [id], MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

local id = ARGV[2]
if not take_held(id, ARGV[3]) then return 1 end
give_back(queue_type(), id)
notify(1)
return 1
