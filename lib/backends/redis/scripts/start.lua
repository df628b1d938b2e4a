--[[
  start: jobs a consumer took ahead (fetch's startNow) start now: their "ahead" mark goes, so from
  here on a lease that runs out on one counts a stall (promote in _prelude.lua). A job no longer held
  under the token given (its lease ran out, it was settled) is left as it is: its holder's next settle
  finds the lease lost anyway.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2..]   per job: id, token
  Returns     how many were marked started
  Errors      none
]]
--- @include "_queue.lua"

local marked = 0
for i = 2, #ARGV, 2 do
  local jk = job_key(ARGV[i])
  if redis.call('HGET', jk, 'token') == ARGV[i + 1] then
    redis.call('HSET', jk, 'ahead', '0')
    marked = marked + 1
  end
end
return marked
