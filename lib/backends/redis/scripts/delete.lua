-- delete(channel): removes the queue and every key it owns; returns the ids of its jobs.
local ids = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do ids[#ids + 1] = id_of(member) end
for k = 3, 6 do
  for _, id in ipairs(redis.call('ZRANGE', KEYS[k], 0, -1)) do ids[#ids + 1] = id end
end
-- Records of fetches whose jobs are still active (see fetch_record_key).
for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do forget_fetch(redis.call('HGET', job_key(id), 'token')) end
for _, id in ipairs(ids) do redis.call('DEL', job_key(id)) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
redis.call('PUBLISH', ARGV[2], '*')
return ids
