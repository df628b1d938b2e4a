--[[
  list-jobs: promotes what is due and drops finished jobs past their age (as stats does, so a page's
  total is the count stats gives), then reads one page of a state's jobs in the order its key keeps
  them: wait in delivery order, delayed by due time, active by lease deadline, completed and dead by
  when they finished. `failed` is no key of its own: the retries in wait, then those in delayed,
  found by their status (a scan of both, for people looking, never on a job's path).

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     state: waiting, delayed, active, completed, dead or failed
  ARGV[3]     offset
  ARGV[4]     limit
  ARGV[5]     completedAgeMs (-1: no limit)
  ARGV[6]     deadAgeMs (-1: no limit)
  Returns     { total, { {id, the job's hash flat (empty: gone)}... }, ids dropped (for the id index) }
  Errors      MINDTRACE_NOT_DECLARED
]]
--- @include "_prelude.lua"

local now = now_ms()
promote(queue_type(), now)
local dropped = drop_past_age(tonumber(ARGV[5]), tonumber(ARGV[6]), now)
local state, offset, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

-- Only wait's members carry a sequence before the id; the other zsets hold bare ids.
local function ids_of(key, members)
  if key ~= KEYS[2] then return members end
  for i, member in ipairs(members) do members[i] = id_of(member) end
  return members
end

local ZSET_OF = { waiting = KEYS[2], delayed = KEYS[3], active = KEYS[4], dead = KEYS[5], completed = KEYS[6] }
local total, ids = 0, {}
if state == 'failed' then
  for _, key in ipairs({ KEYS[2], KEYS[3] }) do
    for _, id in ipairs(ids_of(key, redis.call('ZRANGE', key, 0, -1))) do
      if redis.call('HGET', job_key(id), 'status') == 'failed' then
        total = total + 1
        if total > offset and #ids < limit then ids[#ids + 1] = id end
      end
    end
  end
else
  local key = ZSET_OF[state]
  total = redis.call('ZCARD', key)
  ids = ids_of(key, redis.call('ZRANGE', key, offset, offset + limit - 1))
end

local jobs = {}
for _, id in ipairs(ids) do
  local fields = redis.pcall('HGETALL', job_key(id))
  if fields.err then fields = {} end
  jobs[#jobs + 1] = { id, fields }
end
return { total, jobs, dropped }
