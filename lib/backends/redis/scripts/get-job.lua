-- getJob(id, completedAgeMs, deadAgeMs): promotes what is due and drops finished jobs past their age,
-- then returns { the job's hash (flat), ids dropped (for the id index) }.
local now = now_ms()
promote(queue_type(), now)
local dropped = retain(KEYS[6], -1, tonumber(ARGV[3]), now)
for _, id in ipairs(retain(KEYS[5], -1, tonumber(ARGV[4]), now)) do dropped[#dropped + 1] = id end
return { redis.call('HGETALL', job_key(ARGV[2])), dropped }
