/**
 * The cluster's state in Redis and the Lua scripts that change it, each one atomic and one command on
 * the wire (pipelined with everything else the tick sends).
 *
 * Keys, under a prefix (`parley:`):
 * - `peer:<id>`    hash: `node` (which node holds its client), `room`, `d` (its `{id, metadata}` JSON)
 * - `room:<room>`  hash: peer id → `<node>\n<descriptor>`, read by a node that (re)loads the presence
 * - `cur:<id>`     hash: `seq` (the last sequence number stamped), `pend` (the last relayed frame stamped)
 * - `replay:<id>`  stream of the frames stamped for the peer and not acknowledged, entry id `<seq>-0`
 * - `pend:<id>`    stream of frames relayed to the peer from any node, not stamped yet
 * - `node:<node>`  a node's liveness: set with a TTL, refreshed while the node runs
 * Channels: `presence` (joins, leaves, moves) and `to:<node>` (frames for that node's peers).
 * The streams expire a while after their last write (a TTL longer than the resume window).
 */

/**
 * Registers a peer and returns its room's members (HGETALL: id, value, …): joins are ordered here, so
 * of two joins on two nodes the later one sees the earlier. KEYS peer, room · ARGV id, node, room,
 * descriptor, presence channel, announce (0/1).
 */
export const JOIN = `
redis.call('HSET', KEYS[1], 'node', ARGV[2], 'room', ARGV[3], 'd', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '\\n' .. ARGV[4])
redis.call('PUBLISH', ARGV[5], 'j\\n' .. ARGV[1] .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[6] .. '\\n' .. ARGV[4])
return redis.call('HGETALL', KEYS[2])`;

/**
 * Ends a session held by `node` (or by nobody, after the store lost it): KEYS peer, room, cur, replay,
 * pend · ARGV id, node, presence channel, reason, announce (0/1). 0 when another node holds it now.
 */
export const LEAVE = `
local n = redis.call('HGET', KEYS[1], 'node')
if n and n ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], 'l\\n' .. ARGV[1] .. '\\n' .. ARGV[4] .. '\\n' .. ARGV[5])
return 1`;

/**
 * Frames for peers, a tick's worth in one call: each kept in its peer's pending stream, and published to
 * the node that holds the peer, one message per node holding records `<id>\n<entry id>\n<bytes>\n<body>`.
 * ARGV max length, ttl ms, key prefix, channel prefix (`…to:`), then (id, body) pairs. Keys are built
 * here (one Redis, not Redis Cluster: see docs/cluster.md).
 */
export const SEND = `
local out = {}
local nodes = {}
for i = 5, #ARGV, 2 do
  local id = ARGV[i]
  local body = ARGV[i + 1]
  local n = redis.call('HGET', ARGV[3] .. 'peer:' .. id, 'node')
  if n then
    local pend = ARGV[3] .. 'pend:' .. id
    local e = redis.call('XADD', pend, 'MAXLEN', '~', ARGV[1], '*', 'b', body)
    redis.call('PEXPIRE', pend, ARGV[2])
    if not out[n] then
      out[n] = {}
      nodes[#nodes + 1] = n
    end
    local list = out[n]
    list[#list + 1] = id .. '\\n' .. e .. '\\n' .. #body .. '\\n' .. body
  end
end
for _, n in ipairs(nodes) do redis.call('PUBLISH', ARGV[4] .. n, table.concat(out[n])) end
return 1`;

/**
 * Frames this node stamped for its peers, a tick's worth in one call, kept for replay on any node. When
 * a peer moved meanwhile, a frame of this node's own making goes to the new holder unstamped (a relayed
 * one is in the pending stream already, where the new holder read it). ARGV node, max length, ttl ms,
 * key prefix, channel prefix (`…to:`), then (id, seq, frame bytes, pending id or '') quadruples.
 */
export const STAMPED = `
for i = 6, #ARGV, 4 do
  local id = ARGV[i]
  local seq = ARGV[i + 1]
  local bytes = ARGV[i + 2]
  local pid = ARGV[i + 3]
  local p = ARGV[4]
  local n = redis.call('HGET', p .. 'peer:' .. id, 'node')
  if n and n ~= ARGV[1] then
    if pid == '' then
      local b = string.sub(bytes, string.find(bytes, ',', 1, true) + 1)
      local e = redis.call('XADD', p .. 'pend:' .. id, 'MAXLEN', '~', ARGV[2], '*', 'b', b)
      redis.call('PEXPIRE', p .. 'pend:' .. id, ARGV[3])
      redis.call('PUBLISH', ARGV[5] .. n, id .. '\\n' .. e .. '\\n' .. #b .. '\\n' .. b)
    end
  elseif n then
    redis.call('XADD', p .. 'replay:' .. id, 'MAXLEN', ARGV[2], seq .. '-0', 'b', bytes)
    redis.call('PEXPIRE', p .. 'replay:' .. id, ARGV[3])
    redis.call('HSET', p .. 'cur:' .. id, 'seq', seq)
    if pid ~= '' then
      redis.call('HSET', p .. 'cur:' .. id, 'pend', pid)
      redis.call('XTRIM', p .. 'pend:' .. id, 'MINID', pid)
    end
    redis.call('PEXPIRE', p .. 'cur:' .. id, ARGV[3])
  end
end
return 1`;

/**
 * Makes `node` the holder of a peer and returns what it needs to resume it: {room, descriptor, last seq,
 * stamped frames, pending frames}; nil when the store knows no such peer. KEYS peer, cur, replay, pend ·
 * ARGV id, node, key prefix, presence channel.
 */
export const CLAIM = `
local room = redis.call('HGET', KEYS[1], 'room')
if not room then return false end
local d = redis.call('HGET', KEYS[1], 'd')
redis.call('HSET', KEYS[1], 'node', ARGV[2])
redis.call('HSET', ARGV[3] .. 'room:' .. room, ARGV[1], ARGV[2] .. '\\n' .. d)
local seq = redis.call('HGET', KEYS[2], 'seq') or '0'
local pend = redis.call('HGET', KEYS[2], 'pend')
local stamped = redis.call('XRANGE', KEYS[3], '-', '+')
local pending = redis.call('XRANGE', KEYS[4], pend and ('(' .. pend) or '-', '+')
redis.call('PUBLISH', ARGV[4], 'm\\n' .. ARGV[1] .. '\\n' .. ARGV[2])
return {room, d, seq, stamped, pending}`;
