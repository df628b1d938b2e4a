--[[
  withdraw: Redis Cluster only. Undoes a publish whose ids turned out to belong to another queue (the
  id index, in another slot, said so after this queue's publish had run): drops the jobs that call
  enqueued, found by the nonce each went with (the call's, or for a retried job the one of the call
  it retries), if they are still waiting or delayed.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2..]   per job: id, nonce
  Returns     the ids a consumer took in the meantime; those stay (they are running)
  Errors      none
]]
--- @include "_prelude.lua"

local taken = {}
for i = 2, #ARGV, 2 do
  local id, nonce = ARGV[i], ARGV[i + 1]
  local jk = job_key(id)
  local f = redis.call('HMGET', jk, 'nonce', 'status', 'member')
  if f[1] == nonce then
    if f[2] == 'waiting' then
      redis.call('ZREM', KEYS[2], f[3])
      redis.call('DEL', jk)
    elseif f[2] == 'delayed' then
      redis.call('ZREM', KEYS[3], id)
      redis.call('DEL', jk)
    else
      taken[#taken + 1] = id
    end
  end
end
return taken
