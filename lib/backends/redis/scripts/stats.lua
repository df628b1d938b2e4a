-- stats(completedAgeMs, deadAgeMs): promotes what is due and drops finished jobs past their age (so an
-- idle queue honours retention too), then counts
-- { waiting, delayed, active, completed, dead, ids dropped (for the id index) }.
local now = now_ms()
promote(queue_type(), now)
local dropped = retain(KEYS[6], -1, tonumber(ARGV[2]), now)
for _, id in ipairs(retain(KEYS[5], -1, tonumber(ARGV[3]), now)) do dropped[#dropped + 1] = id end
return {
  redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]),
  redis.call('ZCARD', KEYS[6]), redis.call('ZCARD', KEYS[5]), dropped,
}
