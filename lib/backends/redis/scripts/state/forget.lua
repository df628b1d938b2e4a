-- forget(jobPrefix, channel, statuses...): drops the queue's jobs in those statuses (all of them when
-- none is given); returns their ids. KEYS: 1 the queue's id set, 2 completed zset, 3 dead zset.
local wanted = {}
for i = 3, #ARGV do wanted[ARGV[i]] = true end
local all = #ARGV < 3
local dropped = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local jk = ARGV[1] .. id
  local status = redis.call('HGET', jk, 'status')
  if all or not status or wanted[status] then
    redis.call('DEL', jk)
    redis.call('SREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
    dropped[#dropped + 1] = id
  end
end
if #dropped > 0 then redis.call('PUBLISH', ARGV[2], '*') end
return dropped
