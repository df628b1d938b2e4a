--[[
  start: jobs a consumer took ahead (fetch's startNow) start now: their "ahead" mark goes, so from
  here on a lease that runs out on one counts a stall (promote in _prelude.lua). The marks asked for
  in one tick come in one call (StartMarks). A job no longer held under the token given (its lease
  ran out, it was settled) is left as it is and reported alone: its holder's next settle finds the
  lease lost anyway.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2..]   per job: id, token
  Returns     1-based indexes of the jobs not marked (no longer held under their token)
  Errors      none (a lost lease is reported per job)
]]
--- @include "_queue.lua"

local lost = {}
for i = 2, #ARGV, 2 do
  local jk = job_key(ARGV[i])
  if redis.call('HGET', jk, 'token') == ARGV[i + 1] then
    redis.call('HSET', jk, 'ahead', '0')
  else
    lost[#lost + 1] = i / 2
  end
end
return lost
