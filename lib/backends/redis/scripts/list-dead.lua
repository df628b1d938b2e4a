-- listDead(limit, deadAgeMs): drops dead letters past their age, then returns
-- { the oldest dead letters as { id, json, attempt, errorJson }, ids dropped (for the id index) }.
queue_type()
local dropped = retain(KEYS[5], -1, tonumber(ARGV[3]), now_ms())
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[5], 0, tonumber(ARGV[2]) - 1)) do
  local f = redis.call('HMGET', job_key(id), 'data', 'attempt', 'error')
  -- (Its hash expires with its age, a fraction of a ms apart from its score: skip one just gone.)
  if f[1] then out[#out + 1] = { id, f[1], f[2], f[3] } end
end
return { out, dropped }
