--[[
  publish: enqueues a batch of jobs, all or none: each is checked first (an id not indexed under
  another queue, not already a job here, not twice in the batch; a priority only on a priority
  queue), then added to wait (due now) or delayed, indexed, and consumers are woken (unless the
  queue is paused or held: none of them could take a job).

  Every call has its own nonce, stored with its jobs: a job that exists with this call's nonce is a
  resend of this very call (its reply was lost with the connection and ioredis sent it again), and is
  skipped; any other existing id is a second publish of the same job, and is refused. Jobs the client
  publishes again after a call that got no answer go with that call's nonce (the pairs after the
  jobs), so whichever of the two arrives second (the retry, or the first call sent late by ioredis)
  finds it and is skipped, provided it carries the same data; other data under that id is still a
  duplicate.

  KEYS[1..7]  the queue's keys (_queue.lua)
  KEYS[8]     on a standalone server only: the id index (P:index), checked and written in this same
              step. On Redis Cluster it is in another slot, and the client claims the ids there with
              a command of its own (index/claim.lua).
  ARGV[1]     job key prefix
  ARGV[2]     queue name (the index's value)
  ARGV[3]     nonce of this call
  ARGV[4]     count: how many jobs
  ARGV[5..]   per job: id, json, priority, delayMs (0: due now)
  then        per job published again after no answer: its index (from 0), that call's nonce
  Returns     count
  Errors      MINDTRACE_NOT_DECLARED, MINDTRACE_PRIORITY [queue type], MINDTRACE_DUPLICATE [id],
              MINDTRACE_ELSEWHERE [id, owning queue]
]]
--- @include "_queue.lua"

-- The queue's type, and its pause and hold, in the one read publish makes of meta anyway.
local flow = redis.call('HMGET', KEYS[1], 'type', 'paused', 'holdUntil')
local qtype = flow[1]
if not qtype then refuse('MINDTRACE_NOT_DECLARED') end
local index = KEYS[8]
local queue, nonce, count = ARGV[2], ARGV[3], tonumber(ARGV[4])
local resent, seen = {}, {}
local retried = {}
for i = 5 + count * 4, #ARGV, 2 do retried[tonumber(ARGV[i])] = ARGV[i + 1] end
-- Index entries are claimed as the jobs are checked (HSETNX: one command for the check and the write);
-- a refusal takes back those this call made first, since a script's writes are not rolled back.
local claimed = {}
local function refuse_all(code, args)
  if #claimed > 0 then call_chunked('HDEL', index, claimed, 1) end
  refuse(code, args)
end
for i = 0, count - 1 do
  local id = ARGV[5 + i * 4]
  if tonumber(ARGV[7 + i * 4]) ~= 0 and qtype ~= 'priority' then
    refuse_all('MINDTRACE_PRIORITY', { qtype })
  end
  if seen[id] then refuse_all('MINDTRACE_DUPLICATE', { id }) end
  seen[id] = true
  if index then
    if redis.call('HSETNX', index, id, queue) == 1 then
      claimed[#claimed + 1] = id
    else
      local owner = redis.call('HGET', index, id)
      if owner ~= queue then refuse_all('MINDTRACE_ELSEWHERE', { id, owner }) end
    end
  end
  -- attempt is set on every job, so it tells whether the job exists without fetching its data.
  local f = redis.call('HMGET', job_key(id), 'attempt', 'nonce')
  if f[2] == (retried[i] or nonce) and (not retried[i] or redis.call('HGET', job_key(id), 'data') == ARGV[6 + i * 4]) then
    resent[i] = true
  elseif f[1] then
    refuse_all('MINDTRACE_DUPLICATE', { id })
  end
end
-- Sequence numbers for the jobs ready now, taken in one step: their places follow publish order.
local ready, later_count = 0, 0
for i = 0, count - 1 do
  if not resent[i] then
    if tonumber(ARGV[8 + i * 4]) <= 0 then ready = ready + 1 else later_count = later_count + 1 end
  end
end
local seq = 0
if ready > 0 then seq = redis.call('HINCRBY', KEYS[1], 'seq', ready) - ready end
-- The server's clock, read only when a job is delayed.
local now = 0
if later_count > 0 then now = now_ms() end
local waiting, later = {}, {}
for i = 0, count - 1 do
  local id = ARGV[5 + i * 4]
  local jk = job_key(id)
  local json = ARGV[6 + i * 4]
  local priority = ARGV[7 + i * 4]
  local delay = tonumber(ARGV[8 + i * 4])
  local own = retried[i] or nonce
  if resent[i] then
    -- already enqueued by the first send
  elseif delay > 0 then
    redis.call('HSET', jk, 'data', json, 'priority', priority, 'attempt', 0, 'status', 'delayed', 'runAt', now + delay, 'nonce', own)
    later[#later + 1] = now + delay
    later[#later + 1] = id
  else
    seq = seq + 1
    local member, score = place(qtype, seq, id, priority)
    redis.call('HSET', jk, 'data', json, 'priority', priority, 'attempt', 0, 'status', 'waiting', 'member', member, 'score', score, 'nonce', own)
    waiting[#waiting + 1] = score
    waiting[#waiting + 1] = member
  end
end
zadd_all(KEYS[2], waiting)
zadd_all(KEYS[3], later)
-- A delayed job wakes one idle consumer too, so it can set its sleep to the new due time.
local delayed = 0
if #later > 0 then delayed = 1 end
if not flow[2] and not (flow[3] and tonumber(flow[3]) > now_ms()) then notify(math.max(ready, delayed)) end
return count
