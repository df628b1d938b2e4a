-- deadLetter(id, token, errorJson, keepCount, keepAgeMs, channel): the job failed for good.
local id = ARGV[2]
local jk = take_held(id, ARGV[3])
if not jk then return {} end
local now = now_ms()
redis.call('HSET', jk, 'status', 'dead', 'error', ARGV[4], 'finishedAt', now)
-- Gone by itself once past its age, even if nothing else ever happens on this queue.
if tonumber(ARGV[6]) >= 0 then redis.call('PEXPIRE', jk, math.max(tonumber(ARGV[6]), 1)) end
-- Two jobs can die in the same millisecond, and a zset orders equal scores by member (the id), not
-- by arrival. So a death never scores below the newest one: it gets 1/1024 ms past it instead, which
-- stays exact in a double and keeps the list in the order the jobs died.
local newest = redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')[2]
local score = now
if newest and tonumber(newest) >= now then score = tonumber(newest) + 1 / 1024 end
redis.call('ZADD', KEYS[5], score, id)
local dropped = retain(KEYS[5], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
redis.call('PUBLISH', ARGV[7], id)
return dropped
