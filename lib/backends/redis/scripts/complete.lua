--[[
  complete: completes every job the client finished since its previous call, in one step and one
  round trip, then takes the next jobs those completions asked for (completeAndFetch: fetchMax > 0),
  so those consumers' slots refill without a round trip of their own. A job whose lease was lost is
  left where it is (its new holder settles it) and reported, without failing the others, and takes
  no next job; one this very call already completed (a resend after a lost reply) counts as done.

  KEYS[1..7]  the queue's keys (_prelude.lua)
  ARGV[1]     job key prefix
  ARGV[2]     keepCount: completed jobs kept (-1: no limit)
  ARGV[3]     keepAgeMs: how long they are kept (-1: for ever)
  ARGV[4]     the queue's finished channel: told each completed id
  ARGV[5]     leaseMs of the next jobs taken
  ARGV[6]     tokenBase of their lease tokens (see fetch)
  ARGV[7]     rate limit of the next jobs: max per window (0: none)...
  ARGV[8]     ...and the window in ms (see fetch)
  ARGV[9..]   per completion: id, token, resultJson, fetchMax
  Returns     { ids retention dropped, 1-based indexes of the completions whose lease was lost,
              the jobs taken, as fetch returns them, in the order of the completions that asked }
  Errors      none (a lost lease is reported per completion; a queue deleted meanwhile takes nothing)
]]
--- @include "_prelude.lua"

local channel = ARGV[4]
local now = now_ms()
local lost = {}
local done = {}
local finished = {}
local wanted = 0
local n = 0
local records = {}
local keep_age = tonumber(ARGV[3])
-- In the order the jobs finished, even within one millisecond (see finish_score).
local score = finish_score(KEYS[6], now)
for i = 9, #ARGV, 4 do
  n = n + 1
  local id, token = ARGV[i], ARGV[i + 1]
  if holds(id, token) then
    local jk = job_key(id)
    redis.call('HSET', jk, 'status', 'completed', 'token', '', 'settled', token, 'result', ARGV[i + 2], 'finishedAt', now)
    expire_finished(jk, keep_age, score, now)
    redis.call('PUBLISH', channel, id)
    local base = base_of(token)
    if base then records[fetch_record_key(base)] = true end
    done[#done + 1] = id
    finished[#finished + 1] = score
    finished[#finished + 1] = id
    score = score + 1 / 1024
    wanted = wanted + tonumber(ARGV[i + 3])
  elseif settled_before(id, token) then
    wanted = wanted + tonumber(ARGV[i + 3])
  else
    lost[#lost + 1] = n
  end
end
zrem_all(KEYS[4], done)
zadd_all(KEYS[6], finished)
-- The fetches that took these jobs were answered: their records (see fetch_record_key) can go.
local record_keys = {}
for key in pairs(records) do record_keys[#record_keys + 1] = key end
del_all(record_keys)
local dropped = retain(KEYS[6], tonumber(ARGV[2]), keep_age, now)
local jobs = {}
local limit_max = tonumber(ARGV[7])
if limit_max == 0 then limit_max = nil end
-- (A queue deleted meanwhile has nothing to take: undeclared_ok.)
if wanted > 0 then jobs = take_jobs(wanted, tonumber(ARGV[5]), ARGV[6], now, limit_max, tonumber(ARGV[8]), true) end
return { dropped, lost, jobs }
