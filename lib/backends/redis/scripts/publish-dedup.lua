--[[
  publish-dedup: publishes one job unless another job of the queue holds its deduplication key, taking
  the key in the same step. Keys are P:{Q}:dedup, key -> "<expires at, epoch ms; 0: never> <job id>".
  The holder is checked lazily, here: its entry is valid while its window lasts and the job is still
  unfinished (waiting, delayed, active, failed awaiting a retry); nothing is done when a job finishes.
  With replace, a valid holder that has not started is withdrawn for the new job; one that started
  keeps running and the new job takes the key. Each call also checks two entries picked at random and
  drops them if free, so keys that are never published again do not pile up.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  KEYS[8]     on a standalone server only: the id index (P:index), checked and written in this step
  ARGV[1]     job key prefix
  ARGV[2]     queue name
  ARGV[3]     nonce of this call (a resend of it by ioredis finds its job and answers as the first did)
  ARGV[4]     deduplication key
  ARGV[5]     ttlMs ('0': until the holder finishes)
  ARGV[6]     replace: '1' or '0'
  ARGV[7]     job id
  ARGV[8]     its wire JSON
  ARGV[9]     its priority
  ARGV[10]    delayMs (0: due now)
  Returns     { id holding the key now, 1 if nothing was enqueued (duplicate) else 0, id replaced or false }
  Errors      MINDTRACE_NOT_DECLARED, MINDTRACE_PRIORITY [queue type], MINDTRACE_DUPLICATE [id],
              MINDTRACE_ELSEWHERE [id, owning queue]
]]
--- @include "_prelude.lua"
--- @include "_one-job.lua"

local qtype = queue_type()
local queue, nonce, key, ttl = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local id, json, priority, delay = ARGV[7], ARGV[8], ARGV[9], tonumber(ARGV[10])
local dedup = queue_key('dedup')
local now = now_ms()

-- The job holding an entry, if the entry is still valid.
local function holder_of(entry, at)
  if not entry then return nil end
  local expires, holder = string.match(entry, '^(%d+) (.*)$')
  if not holder then return nil end
  if tonumber(expires) ~= 0 and tonumber(expires) <= at then return nil end
  if not unfinished(holder) then return nil end
  return holder
end

-- This very call, resent after a lost reply: answer as the first send did.
local mine = redis.call('HMGET', job_key(id), 'attempt', 'nonce')
if mine[2] == nonce then return { id, 0, false } end
if tonumber(priority) ~= 0 and qtype ~= 'priority' then refuse('MINDTRACE_PRIORITY', { qtype }) end
local holder = holder_of(redis.call('HGET', dedup, key), now)
if holder and ARGV[6] ~= '1' then return { holder, 1, false } end
if mine[1] then refuse('MINDTRACE_DUPLICATE', { id }) end
if KEYS[8] then
  local owner = redis.call('HGET', KEYS[8], id)
  if owner and owner ~= queue then refuse('MINDTRACE_ELSEWHERE', { id, owner }) end
end
local replaced = false
if holder and withdraw_unstarted(holder) then replaced = holder end
local expires = 0
if ttl > 0 then expires = now + ttl end
redis.call('HSET', dedup, key, string.format('%.0f', expires) .. ' ' .. id)
local run_at = now
if delay > 0 then run_at = now + delay end
add_job(qtype, queue, id, json, priority, run_at, nonce, now)
-- (HRANDFIELD is Redis 6.2: on 6.0 the sweep is skipped, and entries stay until reused or the queue is deleted.)
local sample = redis.pcall('HRANDFIELD', dedup, 2)
if not sample.err then
  for _, other in ipairs(sample) do
    if other ~= key and not holder_of(redis.call('HGET', dedup, other), now) then redis.call('HDEL', dedup, other) end
  end
end
return { id, 0, replaced }
