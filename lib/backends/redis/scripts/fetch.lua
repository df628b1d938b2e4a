--[[
  fetch: takes up to max due jobs under a lease, promoting what is due first (take_jobs). A token base
  seen before gets the jobs that call took instead (fetch_record_key).

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     max: how many jobs at most
  ARGV[3]     leaseMs
  ARGV[4]     tokenBase: the lease tokens are "<tokenBase>:<n>"
  ARGV[5]     willWait: '1' when the caller blocks on notify if nothing is ready
  Returns     { { {id, json, attempt, token, stalls[, problem]}... }, ms until the next due time (-1: none) }
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

local jobs, wake = take_jobs(tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], now_ms())
-- Nothing ready and the caller is about to block: wake tokens left by publishes nobody was waiting
-- for would only make it wake and fetch once per token. Dropping them is safe: a consumer blocked in
-- BLPOP got its token when it was pushed, and every later publish pushes new ones.
if ARGV[5] == '1' and #jobs == 0 and redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[7]) end
return { jobs, wake }
