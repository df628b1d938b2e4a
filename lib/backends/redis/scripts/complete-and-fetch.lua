-- completeAndFetch(id, token, resultJson, keepCount, keepAgeMs, channel, max, leaseMs, tokenBase):
-- completes a job and takes the consumer's next ones in the same round trip.
local now = now_ms()
local dropped = complete_job(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], now)
local jobs, wake = take_jobs(tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], now)
return { dropped, jobs, wake }
