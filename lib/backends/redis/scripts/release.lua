-- release(id, token): gives the job back untried, in its old place; its attempt is not counted.
local id = ARGV[2]
if not take_held(id, ARGV[3]) then return 1 end
give_back(queue_type(), id)
notify(1)
return 1
