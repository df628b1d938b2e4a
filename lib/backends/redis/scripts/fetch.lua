--[[
  fetch: takes up to max due jobs under a lease, promoting what is due first (take_jobs), as far as
  pause, hold and the rate limit (if given) allow. A token base seen before gets the jobs that call
  took instead (fetch_record_key).

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     max: how many jobs at most
  ARGV[3]     leaseMs
  ARGV[4]     tokenBase: the lease tokens are "<tokenBase>:<n>"
  ARGV[5]     willWait: '1' when the caller blocks on notify if nothing is ready
  ARGV[6]     rate limit ('': none): at most this many jobs handed out under a limit per window...
  ARGV[7]     ...of this many ms (P:{Q}:limiter, see allowance in _prelude.lua)
  ARGV[8]     startNow ('': all): how many start at once; the rest are taken ahead (see take_jobs)
  Returns     { { {id, json, attempt, token, stalls, ahead (1/0)[, problem]}... }, when it took none: ms until the
              next due time, or until a held or limited queue hands out again (-1: none, or jobs taken) }
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

local jobs, wake, blocked = take_jobs(
  tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], now_ms(), tonumber(ARGV[6]), tonumber(ARGV[7]), false, tonumber(ARGV[8]))
-- Nothing ready (or nothing it may take: paused, held, limited) and the caller is about to block: wake
-- tokens left by publishes nobody was waiting for would only make it wake and fetch once per token.
-- Dropping them is safe: a consumer blocked in BLPOP got its token when it was pushed, and every later
-- publish (or a resume) pushes new ones.
if ARGV[5] == '1' and #jobs == 0 and (blocked or redis.call('ZCARD', KEYS[2]) == 0) then redis.call('DEL', KEYS[7]) end
return { jobs, wake }
