--[[
  hold: no fetch hands out the queue's jobs before a time (meta "holdUntil", epoch ms), with or without
  a rate limit, in any process; a later time extends the hold, an earlier one changes nothing. Fetches
  that find the queue held sleep until it ends (take_jobs returns that as their wake time); those
  already asleep are woken once to learn of it (publishes wake no one during a hold).

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     how long from now, ms (the client turns its `until` into a delay: the server's clock
              decides, as for delayed jobs)
  Returns     the hold's end now in force (epoch ms)
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

queue_type()
local current = tonumber(redis.call('HGET', KEYS[1], 'holdUntil')) or 0
local wanted = now_ms() + tonumber(ARGV[2])
if wanted <= current then return current end
redis.call('HSET', KEYS[1], 'holdUntil', string.format('%.0f', wanted))
notify(64)
return wanted
