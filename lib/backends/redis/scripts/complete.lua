-- complete(keepCount, keepAgeMs, channel, id1, token1, result1, id2, ...): completes every job the
-- client finished since its previous call, in one step and one round trip. A job whose lease was lost
-- is left where it is (its new holder settles it) and reported, without failing the others; one this
-- very call already completed (a resend after a lost reply) counts as done.
-- Returns { ids retention dropped, indexes (1-based) of the jobs whose lease was lost }.
local channel = ARGV[4]
local now = now_ms()
local lost = {}
local done = {}
local finished = {}
local n = 0
for i = 5, #ARGV, 3 do
  n = n + 1
  local id, token = ARGV[i], ARGV[i + 1]
  if holds(id, token) then
    redis.call('HSET', job_key(id), 'status', 'completed', 'token', '', 'settled', token, 'result', ARGV[i + 2], 'finishedAt', now)
    redis.call('PUBLISH', channel, id)
    done[#done + 1] = id
    finished[#finished + 1] = now
    finished[#finished + 1] = id
  elseif not settled_before(id, token) then
    lost[#lost + 1] = n
  end
end
zrem_all(KEYS[4], done)
zadd_all(KEYS[6], finished)
return { retain(KEYS[6], tonumber(ARGV[2]), tonumber(ARGV[3]), now), lost }
