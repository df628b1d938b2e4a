--[[
  list-dead: drops dead letters past their age, then lists the oldest ones. A dead letter is listed
  whenever its hash exists, even without data (a job dead-lettered as malformed because its record
  was missing): the client shows what can be known. One whose hash is gone (deleted by hand, evicted)
  is dropped here, so the dead count and this listing agree.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     limit: how many at most
  ARGV[3]     deadAgeMs (-1: no limit)
  Returns     { { {id, json, attempt, errorJson, priority}... } oldest first, ids dropped (for the id index) }
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

queue_type()
local dropped = retain(KEYS[5], -1, tonumber(ARGV[3]), now_ms())
local out, gone = {}, {}
local limit = tonumber(ARGV[2])
local offset = 0
while #out < limit do
  local ids = redis.call('ZRANGE', KEYS[5], offset, offset + limit - #out - 1)
  if #ids == 0 then break end
  offset = offset + #ids
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', job_key(id), 'data', 'attempt', 'error', 'priority')
    if f[1] or f[2] or f[3] then
      out[#out + 1] = { id, f[1], f[2], f[3], f[4] }
    else
      gone[#gone + 1] = id
    end
  end
end
zrem_all(KEYS[5], gone)
for _, id in ipairs(gone) do dropped[#dropped + 1] = id end
return { out, dropped }
