-- completeAndFetch(id, token, resultJson, keepCount, keepAgeMs, channel, max, leaseMs, tokenBase):
-- completes a job and takes the consumer's next ones in the same round trip.
local now = now_ms()
assert_holds(ARGV[2], ARGV[3])
mark_completed(ARGV[2], ARGV[4], ARGV[7], now)
local dropped = retain(KEYS[6], tonumber(ARGV[5]), tonumber(ARGV[6]), now)
local jobs, wake = take_jobs(tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], now)
return { dropped, jobs, wake }
