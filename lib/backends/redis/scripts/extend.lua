-- extend(id, token, leaseMs): keeps a held job's lease alive.
local id = ARGV[2]
if not holds(id, ARGV[3]) then
  return redis.error_reply('MINDTRACE_LEASE_LOST')
end
redis.call('ZADD', KEYS[4], 'XX', now_ms() + tonumber(ARGV[4]), id)
return 1
