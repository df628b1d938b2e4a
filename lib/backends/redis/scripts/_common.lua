-- Shared by every script, of the queues and of RedisJobStateStore (prepended when they are loaded).
-- ARGV[1] is always the job key prefix.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function job_key(id)
  return ARGV[1] .. id
end

-- Drops finished jobs beyond a count (-1: no limit) or older than an age in ms (-1: no limit).
-- The count is enforced in steps of a tenth of it: trimming one job on every completion would cost a
-- DEL (and an index update) per job. Returns the ids dropped, so the client can drop them from the
-- id index too.
local function retain(zkey, keep_count, keep_age, now)
  local dropped = {}
  if keep_age >= 0 then
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', zkey, '-inf', '(' .. (now - keep_age), 'LIMIT', 0, 1000)) do
      dropped[#dropped + 1] = id
    end
  end
  if keep_count >= 0 then
    local size = redis.call('ZCARD', zkey) - #dropped
    if size > keep_count + math.floor(keep_count / 10) then
      for _, id in ipairs(redis.call('ZRANGE', zkey, #dropped, #dropped + size - keep_count - 1)) do
        dropped[#dropped + 1] = id
      end
    end
  end
  for _, id in ipairs(dropped) do
    redis.call('ZREM', zkey, id)
    redis.call('DEL', job_key(id))
  end
  return dropped
end
