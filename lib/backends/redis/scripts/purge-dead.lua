-- purgeDead(): deletes every dead letter; returns their ids.
queue_type()
local ids = redis.call('ZRANGE', KEYS[5], 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', job_key(id)) end
redis.call('DEL', KEYS[5])
return ids
