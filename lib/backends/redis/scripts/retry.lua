-- retry(id, token, errorJson, delayMs): the attempt failed; due again after the delay.
local id = ARGV[2]
local jk = take_held(id, ARGV[3])
if not jk then return 1 end
local delay = tonumber(ARGV[5])
redis.call('HSET', jk, 'status', 'failed', 'error', ARGV[4])
if delay > 0 then
  local run_at = now_ms() + delay
  redis.call('HSET', jk, 'runAt', run_at)
  redis.call('ZADD', KEYS[3], run_at, id)
  -- A consumer asleep until a later due time must recompute when to wake.
  notify(1)
else
  enqueue(queue_type(), id, false)
  notify(1)
end
return 1
