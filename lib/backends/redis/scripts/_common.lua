--[[
  _common: what every script shares, the queues' and RedisJobStateStore's (state/). Included by name
  (`--- @include "_common.lua"`); defines functions only.

  Expects ARGV[1] to be the job key prefix ("<prefix>:{<queue>}:job:"), in every script that includes it.

  Errors: refuse() is the one way a script says no. Its codes, and the typed error each becomes, are
  listed in one table: script-errors.ts.
]]

-- Refuses the call with a code the client maps to a typed error (script-errors.ts). Its arguments (a
-- list of strings, or nil) travel as a JSON array, so an id holding spaces, commas or brackets
-- arrives whole.
local function refuse(code, args)
  if args == nil or #args == 0 then error({ err = code }) end
  error({ err = code .. ' ' .. cjson.encode(args) })
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function job_key(id)
  return ARGV[1] .. id
end

-- Every redis.call costs about a microsecond of argument marshalling on top of the command itself,
-- so steps that touch many jobs gather their changes and send them in as few calls as they can
-- (chunked: unpack must stay within Lua's stack).
local CHUNK = 1000

-- `command [key] items...` for a flat list of items, `width` items per element (ZADD: score and
-- member, 2), at most CHUNK elements per call. key nil: the items are the keys (DEL).
local function call_chunked(command, key, items, width)
  local step = CHUNK * width
  for i = 1, #items, step do
    local last = math.min(i + step - 1, #items)
    if key then redis.call(command, key, unpack(items, i, last)) else redis.call(command, unpack(items, i, last)) end
  end
end

-- ZADD of a flat { score, member, score, member, ... } list.
local function zadd_all(key, flat) call_chunked('ZADD', key, flat, 2) end

local function zrem_all(key, members) call_chunked('ZREM', key, members, 1) end

-- HSET of a flat { field, value, ... } list.
local function hset_all(key, flat) call_chunked('HSET', key, flat, 2) end

-- DEL of many keys (all in one slot: they share the queue's hash tag).
local function del_all(keys) call_chunked('DEL', nil, keys, 1) end

-- The score of the next job to finish in a zset of finished jobs (completed or dead). Jobs often
-- finish in the same millisecond, and a zset orders equal scores by member (the id, random), not by
-- arrival: retention would then drop the wrong ones and listings come out shuffled. So a finish never
-- scores at or below the newest one: it gets 1/1024 ms past it, which stays exact in a double. Add
-- 1/1024 per further job finished in the same call.
local function finish_score(zkey, now)
  local newest = redis.call('ZRANGE', zkey, -1, -1, 'WITHSCORES')[2]
  if newest and tonumber(newest) >= now then return tonumber(newest) + 1 / 1024 end
  return now
end

-- A finished job's hash expires by itself once past its retention age (keep_age ms, -1: never), even
-- if nothing else ever happens on its queue. Not before its zset entry is past the age (its score may
-- be a fraction of a ms past now, see finish_score): a count must never include a job whose hash is gone.
local function expire_finished(jk, keep_age, score, now)
  if keep_age >= 0 then redis.call('PEXPIRE', jk, math.max(keep_age + math.ceil(score - now), 1)) end
end

-- Drops finished jobs beyond a count (-1: no limit) or older than an age in ms (-1: no limit).
-- The count is enforced in steps of a tenth of it: trimming one job on every completion would cost a
-- DEL (and an index update) per job. Returns the ids dropped, so the client can drop them from the
-- id index too.
local function retain(zkey, keep_count, keep_age, now)
  local dropped = {}
  if keep_age >= 0 then
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', zkey, '-inf', '(' .. (now - keep_age), 'LIMIT', 0, 1000)) do
      dropped[#dropped + 1] = id
    end
  end
  if keep_count >= 0 then
    local size = redis.call('ZCARD', zkey) - #dropped
    if size > keep_count + math.floor(keep_count / 10) then
      for _, id in ipairs(redis.call('ZRANGE', zkey, #dropped, #dropped + size - keep_count - 1)) do
        dropped[#dropped + 1] = id
      end
    end
  end
  if #dropped > 0 then
    local keys = {}
    for i, id in ipairs(dropped) do keys[i] = job_key(id) end
    zrem_all(zkey, dropped)
    del_all(keys)
  end
  return dropped
end
