--[[
  _one-job: enqueueing and withdrawing a single job, for the scripts that publish one job beside a
  record of their own (put-schedule, publish-dedup) or withdraw one (delete-schedule). Included by
  name after _prelude.lua (`--- @include "_one-job.lua"`); defines functions only.

  Expects KEYS[1..7] as _prelude.lua names them, and KEYS[8], when present, to be the id index
  (P:index, a standalone server only: on Redis Cluster the client claims and drops index entries).
]]

-- Enqueues one new job: due at run_at (epoch ms, server clock) or now, indexed under queue, and wakes
-- a consumer. Its nonce marks it as this call's, as publish.lua's do.
local function add_job(qtype, queue, id, json, priority, run_at, nonce, now)
  local jk = job_key(id)
  if run_at > now then
    redis.call('HSET', jk, 'data', json, 'priority', priority, 'attempt', 0, 'status', 'delayed', 'runAt', run_at, 'nonce', nonce)
    redis.call('ZADD', KEYS[3], run_at, id)
  else
    local member, score = place(qtype, redis.call('HINCRBY', KEYS[1], 'seq', 1), id, priority)
    redis.call('HSET', jk, 'data', json, 'priority', priority, 'attempt', 0, 'status', 'waiting', 'member', member, 'score', score, 'nonce', nonce)
    redis.call('ZADD', KEYS[2], score, member)
  end
  if KEYS[8] then redis.call('HSET', KEYS[8], id, queue) end
  -- A delayed job wakes one idle consumer too, so it can set its sleep to the new due time.
  notify(1)
end

-- Withdraws a job that has not started (waiting or delayed, attempt 0): true if it did.
local function withdraw_unstarted(id)
  local jk = job_key(id)
  local f = redis.call('HMGET', jk, 'status', 'attempt', 'member')
  if tonumber(f[2]) ~= 0 then return false end
  if f[1] == 'waiting' then
    redis.call('ZREM', KEYS[2], f[3])
  elseif f[1] == 'delayed' then
    redis.call('ZREM', KEYS[3], id)
  else
    return false
  end
  redis.call('DEL', jk)
  if KEYS[8] then redis.call('HDEL', KEYS[8], id) end
  -- A waitForResult on it reads the job again and learns it is gone (JobNotFoundError), as after clean.
  redis.call('PUBLISH', queue_key('finished'), id)
  return true
end

-- Whether a job with this id is still unfinished: waiting, delayed, active, or failed awaiting a retry.
local function unfinished(id)
  local status = redis.call('HGET', job_key(id), 'status')
  return status == 'waiting' or status == 'delayed' or status == 'active' or status == 'failed'
end

-- A ':' or '%' in a queue or key escaped, so the parts of an occurrence id cannot run into each other.
local id_part_escapes = { [':'] = '%3A', ['%'] = '%25' }
local function id_part(text)
  return (string.gsub(text, '[:%%]', id_part_escapes))
end

-- The job id of a schedule's occurrence for one tick (scheduleOccurrenceId in schedule-record.ts).
local function occurrence_id(queue, key, at)
  return 'schedule:' .. id_part(queue) .. ':' .. id_part(key) .. ':' .. string.format('%.0f', at)
end

-- Withdraws the occurrences of a stored schedule (its ScheduleRecord, decoded) that wait unrun: the
-- one of nextRunAt and those of takenTicks, which may have been given back (withdrawableOccurrenceIds
-- in schedule-record.ts). Returns the ids withdrawn.
local function withdraw_occurrences(queue, record)
  local ticks = { record.nextRunAt }
  if type(record.takenTicks) == 'table' then
    for _, at in ipairs(record.takenTicks) do ticks[#ticks + 1] = at end
  end
  local withdrawn = {}
  for _, at in ipairs(ticks) do
    local id = occurrence_id(queue, record.key, tonumber(at))
    if withdraw_unstarted(id) then withdrawn[#withdrawn + 1] = id end
  end
  return withdrawn
end
