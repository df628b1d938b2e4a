--[[
  _prelude: what the queue scripts share (enqueueing, waking, promotion, lease checks, taking jobs).
  Included by name (`--- @include "_prelude.lua"`); includes _queue.lua (the queue's keys, enqueueing,
  waking) and _common.lua before it; defines functions only.

  KEYS and ARGV[1] as _queue.lua names them (the same for every queue script).

  Errors raised here (refuse, see script-errors.ts):
    MINDTRACE_NOT_DECLARED            the queue has no meta hash (queue_type)
    MINDTRACE_LEASE_LOST [id]         the caller no longer holds the job (check_held, take_held)
]]
--- @include "_queue.lua"

-- Drops the queue's finished jobs past their retention age (ms, -1: none), so that reads honour age
-- on an idle queue too (nothing finishes there to do it). Returns the ids dropped, for the id index.
local function drop_past_age(completed_age, dead_age, now)
  local dropped = retain(KEYS[6], -1, completed_age, now)
  for _, id in ipairs(retain(KEYS[5], -1, dead_age, now)) do dropped[#dropped + 1] = id end
  return dropped
end

-- The ids of a zset (delayed, active) scored at or before now, up to 1000; and, when there are none,
-- its head score (false: empty), the next time one falls due. One ZRANGE when nothing is due (the
-- common case), whose answer a fetch about to sleep reuses for its wake time.
local function due_in(key, now)
  local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if not head[2] then return nil, false end
  if tonumber(head[2]) > now then return nil, tonumber(head[2]) end
  return redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, 1000), nil
end

-- Moves due delayed jobs and jobs whose lease ran out (their consumer died) back to waiting. Returns
-- how many moved, and the next due time of delayed and of active (false: empty; nil: jobs moved, so
-- read it again if needed).
local function promote(qtype, now)
  local moved = 0
  local due, delayed_head = due_in(KEYS[3], now)
  for _, id in ipairs(due or {}) do
    redis.call('ZREM', KEYS[3], id)
    local jk = job_key(id)
    if redis.call('HGET', jk, 'status') == 'delayed' then
      redis.call('HSET', jk, 'status', 'waiting')
    end
    redis.call('HDEL', jk, 'runAt')
    enqueue(qtype, id, false)
    moved = moved + 1
  end
  local expired, active_head = due_in(KEYS[4], now)
  for _, id in ipairs(expired or {}) do
    redis.call('ZREM', KEYS[4], id)
    local jk = job_key(id)
    local f = redis.call('HMGET', jk, 'token', 'stalls', 'ahead')
    forget_fetch(f[1])
    local status = 'waiting'
    if redis.call('HEXISTS', jk, 'error') == 1 then status = 'failed' end
    if f[3] == '1' then
      -- Taken ahead and never started (see take_jobs): no stall, and no attempt was made.
      redis.call('HSET', jk, 'status', status, 'token', '', 'ahead', '0')
      redis.call('HINCRBY', jk, 'attempt', -1)
    else
      -- Its holder died or lost its lease: a stall, which consumers limit (maxStalls). (Not HINCRBY: a
      -- count some other producer wrote that is not a number must not fail every fetch of the queue.)
      redis.call('HSET', jk, 'status', status, 'token', '', 'stalls', (tonumber(f[2]) or 0) + 1)
    end
    enqueue(qtype, id, true)
    moved = moved + 1
  end
  return moved, delayed_head, active_head
end

-- The first score of a zset after now, in ms from now (-1: empty); known: a head read before (false:
-- empty), nil to read it now.
local function next_due(key, known, now)
  if known == nil then
    local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
    known = head and tonumber(head) or false
  end
  if not known then return -1 end
  return math.max(known - now, 0)
end

-- Whether the caller still holds the job: the same lease token, and the job still active.
-- Tokens are unique per delivery and cleared whenever a job leaves active (settled, or its lease ran
-- out and it went back to waiting), so the token alone says whether the job is still held.
local function holds(id, token)
  return redis.call('HGET', job_key(id), 'token') == token
end

-- Every settle records the lease token it came with ('settled'). When a settle's reply is lost with a
-- dropped connection, ioredis sends it again; the second one finds its own token there and is
-- answered as done, instead of as a lost lease.
local function settled_before(id, token)
  return redis.call('HGET', job_key(id), 'settled') == token
end

-- True if the caller holds the job; false if this very settle already happened; otherwise an error.
local function check_held(id, token)
  if holds(id, token) then return true end
  if settled_before(id, token) then return false end
  refuse('MINDTRACE_LEASE_LOST', { id })
end

-- Checks that the caller still holds the job and takes it off active; false if this settle already
-- happened (the caller then does nothing).
local function take_held(id, token)
  if not check_held(id, token) then return false end
  local jk = job_key(id)
  redis.call('ZREM', KEYS[4], id)
  redis.call('HSET', jk, 'token', '', 'settled', token)
  forget_fetch(token)
  return jk
end

-- Gives a job that was taken off active (token cleared) back to its old place, untried: its attempt
-- is not counted (release at shutdown, or a replayed fetch that took more than its caller wants now).
local function give_back(qtype, id)
  local jk = job_key(id)
  local status = 'waiting'
  if redis.call('HEXISTS', jk, 'error') == 1 then status = 'failed' end
  redis.call('HINCRBY', jk, 'attempt', -1)
  redis.call('HSET', jk, 'status', status)
  enqueue(qtype, id, true)
end

-- The jobs an earlier call with this token base took, those still held under it: up to max of them,
-- leased afresh from now, and the rest given back (the caller may now want fewer).
local function replay(qtype, taken, max, lease, now)
  local jobs = {}
  local returned = 0
  for _, pair in ipairs(taken) do
    local id, token = pair[1], pair[2]
    local jk = job_key(id)
    local f = redis.call('HMGET', jk, 'token', 'data', 'stalls', 'attempt', 'ahead')
    if f[1] == token then
      if #jobs < max then
        redis.call('ZADD', KEYS[4], 'XX', now + lease, id)
        jobs[#jobs + 1] = { id, f[2], tonumber(f[4]), token, tonumber(f[3] or '0'), f[5] == '1' and 1 or 0 }
      else
        redis.call('ZREM', KEYS[4], id)
        redis.call('HSET', jk, 'token', '', 'ahead', '0')
        give_back(qtype, id)
        returned = returned + 1
      end
    end
  end
  notify(returned)
  return jobs
end

-- A popped job's data, stalls and attempt. Its key may hold anything a foreign producer wrote: one that
-- is not a hash would fail this script half-way (popped jobs leased to no one), so it is set aside,
-- untouched, under "<job key>:unreadable", and the job gets a fresh hash; the second value says so, and
-- the client dead-letters the job as malformed (a job whose hash is missing is leased and reported
-- the same way: its data is false).
local function read_popped(jk)
  local f = redis.pcall('HMGET', jk, 'data', 'stalls', 'attempt')
  if not f.err then return f, nil end
  local kind = redis.call('TYPE', jk).ok
  redis.call('RENAME', jk, jk .. ':unreadable')
  return { false, false, false }, 'its key held a ' .. kind .. ', not a hash (set aside as ' .. jk .. ':unreadable)'
end

-- How many of max a fetch may take now, and when it may take more: nothing while the queue is paused
-- (meta "paused") or held (meta "holdUntil", epoch ms); under a rate limit (limit_max jobs per
-- limit_interval ms, limit_max nil: none) no more than this fetch's window of P:{Q}:limiter has room for.
-- Returns the number allowed, the ms until that changes by time alone (-1: only a push changes it),
-- whether the queue is held (a fetch then sleeps until the hold ends, ready jobs or not: a publish
-- during a hold wakes no one), and how long the window keeps an entry (nil without a limit).
-- Pause and hold sit in meta, read with the type in the HMGET every fetch makes anyway: a fetch
-- without them costs nothing more.
local function allowance(flow, max, now, limit_max, limit_interval)
  if flow[2] then return 0, -1, false, nil end
  local hold = tonumber(flow[3])
  if hold then
    if hold > now then return 0, hold - now, true, nil end
    -- Over: dropped, so publishes stop reading the clock to compare with it.
    redis.call('HDEL', KEYS[1], 'holdUntil')
  end
  if not limit_max then return max, -1, false, nil end
  -- Consumers of one queue may give different limits, and each counts every job handed out under any:
  -- entries are kept for the longest interval a fetch has used (meta "limitSpan"), so a fetch with a
  -- shorter one trims nothing a longer limit still counts.
  local span = tonumber(flow[4])
  if not span or span < limit_interval then
    span = limit_interval
    redis.call('HSET', KEYS[1], 'limitSpan', span)
  end
  local window = queue_key('limiter')
  redis.call('ZREMRANGEBYSCORE', window, '-inf', string.format('%.0f', now - span))
  local since = '(' .. string.format('%.0f', now - limit_interval)
  local counted = redis.call('ZCOUNT', window, since, '+inf')
  local room = limit_max - counted
  if room >= max then return max, -1, false, span end
  if room < 0 then room = 0 end
  -- The window is full (or will be with this take): one slot frees once all but limit_max - 1 of the
  -- entries in it have left, that is when the entry at rank counted - limit_max does.
  local entry = redis.call('ZRANGEBYSCORE', window, since, '+inf', 'WITHSCORES', 'LIMIT', math.max(counted - limit_max, 0), 1)[2]
  local frees = -1
  if entry then frees = math.max(tonumber(entry) + limit_interval - now, 1) end
  return room, frees, false, span
end

-- Takes up to max due jobs under a lease (promoting what is due first), as far as pause, hold and
-- rate limit allow (allowance). Jobs past the first start_now (nil: none) are taken ahead: marked
-- "ahead" in their hash until start.lua says they started, so a lease that runs out on one counts no
-- stall and gives its attempt back (promote). Returns { {id, json, attempt, token, stalls, ahead (1/0)
-- [, problem]}... }; when it
-- took none, also the ms until the next delayed job is due, the next lease runs out or a held or
-- limited queue may hand out again (-1: none; also -1 when it took jobs: their caller does not sleep),
-- so a consumer with nothing to do can sleep exactly that long; and whether pause, hold or limit kept
-- it from taking a ready job. A token base seen before gets the jobs that call took (see
-- fetch_record_key), whatever the flow control says: they were handed out already. A queue with no
-- meta is refused (MINDTRACE_NOT_DECLARED), or, if undeclared_ok, gives nothing (complete: a queue
-- deleted meanwhile).
local function take_jobs(max, lease, token_base, now, limit_max, limit_interval, undeclared_ok, start_now)
  local flow = redis.call('HMGET', KEYS[1], 'type', 'paused', 'holdUntil', 'limitSpan')
  local qtype = flow[1]
  if not qtype then
    if undeclared_ok then return {}, -1, false end
    refuse('MINDTRACE_NOT_DECLARED')
  end
  local moved, delayed_head, active_head = promote(qtype, now)
  local jobs = {}
  local record_key = fetch_record_key(token_base)
  local record = redis.call('GET', record_key)
  local allowed, opens, held, span = max, -1, false, nil
  if record then
    jobs = replay(qtype, cjson.decode(record), max, lease, now)
  elseif max > 0 then
    allowed, opens, held, span = allowance(flow, max, now, limit_max, limit_interval)
  end
  if not record and allowed > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[2], allowed)
    local leased = {}
    local taken = {}
    local counted = {}
    for i = 1, #popped, 2 do
      local id = id_of(popped[i])
      local jk = job_key(id)
      local f, problem = read_popped(jk)
      local attempt = tonumber(f[3] or '0') + 1
      local token = token_base .. ':' .. i
      local ahead = 0
      if start_now and (i + 1) / 2 > start_now then ahead = 1 end
      redis.call('HSET', jk, 'attempt', attempt, 'status', 'active', 'token', token, 'startedAt', now, 'ahead', ahead)
      leased[#leased + 1] = now + lease
      leased[#leased + 1] = id
      jobs[#jobs + 1] = { id, f[1], attempt, token, tonumber(f[2] or '0'), ahead, problem }
      taken[#taken + 1] = { id, token }
      counted[#counted + 1] = now
      counted[#counted + 1] = token
    end
    zadd_all(KEYS[4], leased)
    if #taken > 0 then redis.call('SET', record_key, cjson.encode(taken), 'PX', lease) end
    if limit_max and #counted > 0 then
      local window = queue_key('limiter')
      zadd_all(window, counted)
      redis.call('PEXPIRE', window, span)
    end
  end
  -- Kept from ready jobs by pause, hold or limit: the caller must not spin on wake tokens.
  local blocked = allowed < max and redis.call('ZCARD', KEYS[2]) > 0
  -- Promoted more than this consumer could take: wake the others (unless none may take them either).
  if not flow[2] then notify(moved - #jobs) end
  -- A paused queue waits for its resume; a caller that got jobs does not sleep.
  if flow[2] or #jobs > 0 then return jobs, -1, blocked end
  local wake = next_due(KEYS[3], delayed_head, now)
  local lease_ends = next_due(KEYS[4], active_head, now)
  if lease_ends >= 0 and (wake < 0 or lease_ends < wake) then wake = lease_ends end
  if (blocked or held) and opens >= 0 and (wake < 0 or opens < wake) then wake = opens end
  return jobs, wake, blocked
end
