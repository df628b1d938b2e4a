-- deadLetter(id, token, errorJson, keepCount, keepAgeMs, channel): the job failed for good.
local id = ARGV[2]
local jk = take_held(id, ARGV[3])
if not jk then return {} end
local now = now_ms()
redis.call('HSET', jk, 'status', 'dead', 'error', ARGV[4], 'finishedAt', now)
-- Gone by itself once past its age, even if nothing else ever happens on this queue.
if tonumber(ARGV[6]) >= 0 then redis.call('PEXPIRE', jk, math.max(tonumber(ARGV[6]), 1)) end
-- In the order the jobs died, even within one millisecond (see finish_score).
redis.call('ZADD', KEYS[5], finish_score(KEYS[5], now), id)
local dropped = retain(KEYS[5], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
redis.call('PUBLISH', ARGV[7], id)
return dropped
