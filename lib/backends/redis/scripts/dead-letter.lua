-- deadLetter(id, token, errorJson, keepCount, keepAgeMs, channel): the job failed for good.
local id = ARGV[2]
local jk = take_held(id, ARGV[3])
if not jk then return {} end
local now = now_ms()
redis.call('HSET', jk, 'status', 'dead', 'error', ARGV[4], 'finishedAt', now)
-- In the order the jobs died, even within one millisecond (see finish_score).
local score = finish_score(KEYS[5], now)
redis.call('ZADD', KEYS[5], score, id)
expire_finished(jk, tonumber(ARGV[6]), score, now)
local dropped = retain(KEYS[5], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
redis.call('PUBLISH', ARGV[7], id)
return dropped
