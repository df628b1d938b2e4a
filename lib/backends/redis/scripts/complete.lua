-- complete(id, token, resultJson, keepCount, keepAgeMs, channel): the job succeeded.
return complete_job(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], now_ms())
