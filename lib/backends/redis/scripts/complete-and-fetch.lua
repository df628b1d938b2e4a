-- completeAndFetch(id, token, resultJson, keepCount, keepAgeMs, channel, max, leaseMs, tokenBase):
-- completes a job and takes the consumer's next ones in the same round trip.
local now = now_ms()
-- A resend after a lost reply finds the job already completed by this call: it only takes the next.
if check_held(ARGV[2], ARGV[3]) then mark_completed(ARGV[2], ARGV[3], ARGV[4], ARGV[7], now) end
local dropped = retain(KEYS[6], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
local jobs, wake = take_jobs(tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], now)
return { dropped, jobs, wake }
