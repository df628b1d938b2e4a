--[[
  dead-letter: the held job failed for good: moves it to dead (in the order jobs die, even within one
  millisecond), applies the dead retention, and announces it. A resend of this very settle (its reply
  lost with the connection) is answered as done.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     id
  ARGV[3]     lease token the caller holds it under
  ARGV[4]     error (JobFailure JSON)
  ARGV[5]     keepCount: dead letters kept (-1: no limit)
  ARGV[6]     keepAgeMs: how long they are kept (-1: for ever)
  ARGV[7]     the queue's finished channel: told the id
  Returns     the ids retention dropped (the client warns, and drops them from the id index)
  Errors      MINDTRACE_LEASE_LOST [id]
]]
--- @include "_prelude.lua"

local id = ARGV[2]
local jk = take_held(id, ARGV[3])
if not jk then return {} end
local now = now_ms()
redis.call('HSET', jk, 'status', 'dead', 'error', ARGV[4], 'finishedAt', now)
local score = finish_score(KEYS[5], now)
redis.call('ZADD', KEYS[5], score, id)
expire_finished(jk, tonumber(ARGV[6]), score, now)
local dropped = retain(KEYS[5], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
redis.call('PUBLISH', ARGV[7], id)
return dropped
