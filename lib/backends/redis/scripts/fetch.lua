-- fetch(max, leaseMs, tokenBase, willWait): takes up to max due jobs under a lease; see take_jobs.
local jobs, wake = take_jobs(tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], now_ms())
-- Nothing ready and the caller is about to block: wake tokens left by publishes nobody was waiting
-- for would only make it wake and fetch once per token. Dropping them is safe: a consumer blocked in
-- BLPOP got its token when it was pushed, and every later publish pushes new ones.
if ARGV[5] == '1' and #jobs == 0 and redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[7]) end
return { jobs, wake }
