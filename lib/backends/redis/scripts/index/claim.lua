--[[
  index/claim: Redis Cluster only (a standalone server checks the index inside publish). Points every
  id that is not indexed yet to the queue, and reports the ids indexed under another queue.

  KEYS[1]     the id index (P:index), alone in its slot
  ARGV[1]     queue name
  ARGV[2..]   ids
  Returns     { ids this call indexed }, { id, owning queue, id, owning queue, ... }
  Errors      none
]]

local queue = ARGV[1]
local created, elsewhere = {}, {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('HSETNX', KEYS[1], id, queue) == 1 then
    created[#created + 1] = id
  else
    local owner = redis.call('HGET', KEYS[1], id)
    if owner ~= queue then
      elsewhere[#elsewhere + 1] = id
      elsewhere[#elsewhere + 1] = owner
    end
  end
end
return { created, elsewhere }
