-- listDead(limit): the oldest dead letters as { id, json, attempt, errorJson }.
queue_type()
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[5], 0, tonumber(ARGV[2]) - 1)) do
  local f = redis.call('HMGET', job_key(id), 'data', 'attempt', 'error')
  out[#out + 1] = { id, f[1], f[2], f[3] }
end
return out
