-- extend(id, token, leaseMs): keeps a held job's lease alive.
local id, token = ARGV[2], ARGV[3]
if redis.call('ZSCORE', KEYS[4], id) == false or redis.call('HGET', job_key(id), 'token') ~= token then
  return redis.error_reply('MINDTRACE_LEASE_LOST')
end
redis.call('ZADD', KEYS[4], 'XX', now_ms() + tonumber(ARGV[4]), id)
return 1
