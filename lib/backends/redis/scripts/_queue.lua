--[[
  _queue: what a queue script needs to enqueue a job and wake consumers (the queue's type and keys, a
  job's place on wait, wake tokens, fetch records). Included by name (`--- @include "_queue.lua"`),
  after _common.lua, which it includes itself; defines functions only. _prelude.lua includes it and
  adds promotion, lease checks and taking jobs; a script that needs no more (publish) includes only
  this: every function defined is a closure built on every call, which a hot script pays for.

  KEYS, the same for every queue script, all under the queue's hash tag {queue} (KEYS.md):
    KEYS[1] meta (hash: type, seq)          KEYS[2] wait (zset)
    KEYS[3] delayed (zset: runAt)           KEYS[4] active (zset: lease deadline)
    KEYS[5] dead (zset: died at)            KEYS[6] completed (zset: finished at)
    KEYS[7] notify (list of wake tokens)
  ARGV[1] is the job key prefix ("<prefix>:{<queue>}:job:"); each script's own arguments follow.

  Keys a queue script derives from KEYS[1] (same hash tag, so the same slot; see queue_key):
    P:{Q}:limiter (zset: rate-limit window)     P:{Q}:schedules (hash)     P:{Q}:dedup (hash)

  Errors raised here (refuse, see script-errors.ts):
    MINDTRACE_NOT_DECLARED            the queue has no meta hash (queue_type)
]]
--- @include "_common.lua"

local function queue_type()
  local qtype = redis.call('HGET', KEYS[1], 'type')
  if not qtype then refuse('MINDTRACE_NOT_DECLARED') end
  return qtype
end

-- Another key of this queue: "<prefix>:{<queue>}:<suffix>", beside meta (KEYS[1] ends in "meta").
local function queue_key(suffix)
  return string.sub(KEYS[1], 1, -5) .. suffix
end

-- A job's place on the wait zset. Every queue type is a zset popped lowest first: members are
-- "<seq as 16 hex digits>:<id>", so equal scores come out in publish order.
--   fifo: score 0    stack: score -seq    priority: score -priority
local function place(qtype, seq, id, priority)
  local score = 0
  if qtype == 'stack' then
    score = -seq
  elseif qtype == 'priority' then
    -- (A priority some other producer wrote that is not a number counts as 0, not as a script error.)
    score = -(tonumber(priority) or 0)
  end
  return string.format('%016x', seq) .. ':' .. id, score
end

-- The job id of a wait member; one a foreign producer added as the bare id is taken as that id.
local function id_of(member)
  if string.byte(member, 17) == 58 then return string.sub(member, 18) end -- 58: ':'
  return member
end

-- Puts one job on the wait zset. keep_place reuses the job's previous member and score (a lease that
-- ran out, a release).
local function enqueue(qtype, id, keep_place)
  local jk = job_key(id)
  local member, score
  if keep_place then
    member = redis.call('HGET', jk, 'member')
    score = redis.call('HGET', jk, 'score')
    -- A place some other producer wrote wrong would fail the ZADD, or name another job: take a new one.
    if not (member and tonumber(score) and id_of(member) == id) then member = nil end
  end
  if not member then
    member, score = place(qtype, redis.call('HINCRBY', KEYS[1], 'seq', 1), id, redis.call('HGET', jk, 'priority'))
    redis.call('HSET', jk, 'member', member, 'score', score)
  end
  redis.call('ZADD', KEYS[2], score, member)
end

-- Wakes up to n blocked consumers (at most 64 tokens: a woken consumer drains all it can). Tokens
-- pile up only while nobody waits (a consumer about to block drops them, see fetch.lua): past 256 the
-- list is cut back to 64, so a queue published to with no consumer trims once per 192 pushes, not on each.
local function notify(n)
  if n <= 0 then return end
  if n == 1 then
    if redis.call('RPUSH', KEYS[7], '1') > 256 then redis.call('LTRIM', KEYS[7], -64, -1) end
    return
  end
  local tokens = {}
  for i = 1, math.min(n, 64) do tokens[i] = '1' end
  if redis.call('RPUSH', KEYS[7], unpack(tokens)) > 256 then redis.call('LTRIM', KEYS[7], -64, -1) end
end

-- Every fetch that takes jobs records them under its token base (P:{Q}:fetch:<base>, JSON
-- [[id, token], ...], expiring with the lease), so a fetch sent again with the same base -- ioredis
-- resending it after a lost reply, or the client retrying one that got no answer -- gets the jobs the
-- first one took instead of taking more and leaving those leased to nobody. The record goes as soon
-- as one of its jobs leaves active: by then its fetch was answered.
local function fetch_record_key(base)
  return queue_key('fetch:' .. base)
end

-- Lease tokens are "<token base>:<n>".
local function base_of(token)
  return token and string.match(token, '^(.*):%d+$')
end

local function forget_fetch(token)
  local base = base_of(token)
  if base then redis.call('DEL', fetch_record_key(base)) end
end
