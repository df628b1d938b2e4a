--[[
  delete: removes the queue and every key it owns: jobs in any state, the records of fetches whose
  jobs are still held (fetch_record_key), the queue's seven keys, and its flow-control keys: schedules,
  deduplication keys and the rate-limit window (pause and hold are fields of meta). Consumers holding its jobs then
  get MINDTRACE_LEASE_LOST on their settles.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     the queue's finished channel: told "*"
  Returns     the ids of its jobs (the client drops them from the id index)
  Errors      none (deleting a queue that is not declared removes nothing)
]]
--- @include "_prelude.lua"

local ids = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do ids[#ids + 1] = id_of(member) end
for k = 3, 6 do
  for _, id in ipairs(redis.call('ZRANGE', KEYS[k], 0, -1)) do
    ids[#ids + 1] = id
    if k == 4 then forget_fetch(redis.call('HGET', job_key(id), 'token')) end
  end
end
for _, id in ipairs(ids) do redis.call('DEL', job_key(id)) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
redis.call('DEL', queue_key('schedules'), queue_key('dedup'), queue_key('limiter'))
redis.call('PUBLISH', ARGV[2], '*')
return ids
