-- deadLetter(id, token, errorJson, keepCount, keepAgeMs, channel): the job failed for good.
local id = ARGV[2]
local jk = take_held(id, ARGV[3])
local now = now_ms()
redis.call('HSET', jk, 'status', 'dead', 'error', ARGV[4], 'finishedAt', now)
redis.call('ZADD', KEYS[5], now, id)
local dropped = retain(KEYS[5], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
redis.call('PUBLISH', ARGV[7], id)
return dropped
