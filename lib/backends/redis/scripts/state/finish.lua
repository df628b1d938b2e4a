-- finish(jobPrefix, id, status, fieldsJson, keepCount, keepAgeMs, channel)
-- KEYS: 1 the queue's id set, 2 completed zset, 3 dead zset.
-- Records a completed or dead job, applies retention to its zset, announces it; returns the ids
-- retention dropped (the client drops them from the id index).
local prefix, id = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local jk = prefix .. id
local zkey = KEYS[3]
if ARGV[3] == 'completed' then zkey = KEYS[2] end
redis.call('HSET', jk, 'status', ARGV[3], 'finishedAt', now)
for k, v in pairs(cjson.decode(ARGV[4])) do redis.call('HSET', jk, k, v) end
redis.call('HDEL', jk, 'runAt')
redis.call('SADD', KEYS[1], id)
redis.call('ZADD', zkey, now, id)
local keep_count, keep_age = tonumber(ARGV[5]), tonumber(ARGV[6])
local dropped = {}
if keep_age >= 0 then
  for _, old in ipairs(redis.call('ZRANGEBYSCORE', zkey, '-inf', '(' .. (now - keep_age), 'LIMIT', 0, 1000)) do
    dropped[#dropped + 1] = old
  end
end
if keep_count >= 0 then
  local excess = redis.call('ZCARD', zkey) - keep_count - #dropped
  if excess > 0 then
    for _, old in ipairs(redis.call('ZRANGE', zkey, #dropped, #dropped + excess - 1)) do dropped[#dropped + 1] = old end
  end
end
for _, old in ipairs(dropped) do
  redis.call('ZREM', zkey, old)
  redis.call('SREM', KEYS[1], old)
  redis.call('DEL', prefix .. old)
end
redis.call('PUBLISH', ARGV[7], id)
return dropped
