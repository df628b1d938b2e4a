-- complete(id, token, resultJson, keepCount, keepAgeMs, channel): the job succeeded.
local id = ARGV[2]
local jk = take_held(id, ARGV[3])
local now = now_ms()
redis.call('HSET', jk, 'status', 'completed', 'result', ARGV[4], 'finishedAt', now)
redis.call('ZADD', KEYS[6], now, id)
local dropped = retain(KEYS[6], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
redis.call('PUBLISH', ARGV[7], id)
return dropped
