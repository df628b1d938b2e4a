-- clean(channel): drops waiting and delayed jobs; returns their ids.
queue_type()
local ids = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do ids[#ids + 1] = id_of(member) end
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do ids[#ids + 1] = id end
for _, id in ipairs(ids) do redis.call('DEL', job_key(id)) end
redis.call('DEL', KEYS[2], KEYS[3])
if #ids > 0 then redis.call('PUBLISH', ARGV[2], '*') end
return ids
