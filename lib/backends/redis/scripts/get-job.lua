-- getJob(id, completedAgeMs, deadAgeMs): promotes what is due and drops finished jobs past their age,
-- then returns { the job's hash (flat), ids dropped (for the id index) }. A job key that is not a hash
-- (a foreign write no fetch has set aside yet) is answered as { 'problem', what it holds }.
local now = now_ms()
promote(queue_type(), now)
local dropped = retain(KEYS[6], -1, tonumber(ARGV[3]), now)
for _, id in ipairs(retain(KEYS[5], -1, tonumber(ARGV[4]), now)) do dropped[#dropped + 1] = id end
local jk = job_key(ARGV[2])
local fields = redis.pcall('HGETALL', jk)
if fields.err then fields = { 'problem', 'its key holds a ' .. redis.call('TYPE', jk).ok .. ', not a hash' } end
return { fields, dropped }
