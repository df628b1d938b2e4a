--[[
  state/finish (RedisJobStateStore): records a completed or dead job, applies retention to its zset,
  and announces it. With an age, the job's hash also expires by itself (read drops its zset entry),
  even if nothing else ever happens on this queue.

  KEYS[1]     the queue's id set        KEYS[2] completed zset        KEYS[3] dead zset
  ARGV[1]     job key prefix
  ARGV[2]     id
  ARGV[3]     status: 'completed' or 'dead'
  ARGV[4]     fields to set on the job's hash (a JSON object, with the finishing run's `attempt`)
  ARGV[5]     keepCount of that status (-1: no limit)
  ARGV[6]     keepAgeMs of that status (-1: for ever)
  ARGV[7]     the queue's finished channel: told the id
  Returns     the ids retention dropped (the client drops them from the id index); or, when a later
              attempt of the job has started already, that attempt's number, and nothing is written
  Errors      none
]]
--- @include "../_common.lua"

local id = ARGV[2]
local now = now_ms()
local jk = job_key(id)
local fields = cjson.decode(ARGV[4])
-- A run that lost its delivery (its worker cut off) must not overwrite what the redelivered run records.
local recorded = tonumber(redis.call('HGET', jk, 'attempt'))
if recorded and tonumber(fields.attempt) and recorded > tonumber(fields.attempt) then return recorded end
local dropped = {}
local zkey = KEYS[3]
if ARGV[3] == 'completed' then zkey = KEYS[2] end
redis.call('HSET', jk, 'status', ARGV[3], 'finishedAt', now)
for k, v in pairs(fields) do redis.call('HSET', jk, k, v) end
redis.call('HDEL', jk, 'runAt')
redis.call('SADD', KEYS[1], id)
local score = finish_score(zkey, now) -- in finishing order, even within one ms
redis.call('ZADD', zkey, score, id)
expire_finished(jk, tonumber(ARGV[6]), score, now)
for _, old in ipairs(retain(zkey, tonumber(ARGV[5]), tonumber(ARGV[6]), now)) do
  redis.call('SREM', KEYS[1], old)
  dropped[#dropped + 1] = old
end
redis.call('PUBLISH', ARGV[7], id)
return dropped
