-- fetch(max, leaseMs, tokenBase): takes up to max due jobs under a lease.
-- Returns { {id, json, attempt, token}..., }, and the ms until the next delayed job is due or the
-- next lease runs out (-1: none), so a consumer with nothing to do can sleep exactly that long.
local qtype = queue_type()
local max = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local now = now_ms()
local moved = promote(qtype, now)
local popped = redis.call('ZPOPMIN', KEYS[2], max)
local jobs = {}
for i = 1, #popped, 2 do
  local id = string.sub(popped[i], 18)
  local jk = job_key(id)
  local attempt = redis.call('HINCRBY', jk, 'attempt', 1)
  local token = ARGV[4] .. ':' .. i
  redis.call('HSET', jk, 'status', 'active', 'token', token, 'startedAt', now)
  redis.call('ZADD', KEYS[4], now + lease, id)
  jobs[#jobs + 1] = { id, redis.call('HGET', jk, 'data'), attempt, token }
end
-- Promoted more than this consumer could take: wake the others.
notify(moved - #jobs)
local wake = -1
local head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if head[2] then wake = tonumber(head[2]) - now end
head = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if head[2] and (wake < 0 or tonumber(head[2]) - now < wake) then wake = tonumber(head[2]) - now end
return { jobs, wake }
