-- release(id, token): gives the job back untried, in its old place; its attempt is not counted.
local id = ARGV[2]
local jk = take_held(id, ARGV[3])
if not jk then return 1 end
local status = 'waiting'
if redis.call('HEXISTS', jk, 'error') == 1 then status = 'failed' end
redis.call('HINCRBY', jk, 'attempt', -1)
redis.call('HSET', jk, 'status', status)
enqueue(queue_type(), id, true)
notify(1)
return 1
