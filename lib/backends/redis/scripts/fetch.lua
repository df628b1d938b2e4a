-- fetch(max, leaseMs, tokenBase): takes up to max due jobs under a lease; see take_jobs.
local jobs, wake = take_jobs(tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], now_ms())
return { jobs, wake }
