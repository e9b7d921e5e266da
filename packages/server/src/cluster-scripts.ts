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
 * A frame for a peer: kept in its pending stream and published to the node that holds it. KEYS peer,
 * pend · ARGV id, body, max length, ttl ms, channel prefix (`…to:`).
 */
export const SEND = `
local n = redis.call('HGET', KEYS[1], 'node')
if not n then return 0 end
local e = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'b', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5] .. n, ARGV[1] .. '\\n' .. e .. '\\n' .. ARGV[2])
return 1`;

/**
 * A frame a node stamped for its peer, kept for replay on any node. When the peer moved meanwhile, a
 * frame of this node's own making goes to the new holder unstamped (a relayed one is in the pending
 * stream already, where the new holder read it). KEYS peer, replay, cur, pend · ARGV id, node, seq,
 * frame bytes, max length, ttl ms, pending id ('' for none), channel prefix (`…to:`).
 */
export const STAMPED = `
local n = redis.call('HGET', KEYS[1], 'node')
if not n then return 0 end
if n ~= ARGV[2] then
  if ARGV[7] == '' then
    local b = string.sub(ARGV[4], string.find(ARGV[4], ',', 1, true) + 1)
    local e = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', 'b', b)
    redis.call('PEXPIRE', KEYS[4], ARGV[6])
    redis.call('PUBLISH', ARGV[8] .. n, ARGV[1] .. '\\n' .. e .. '\\n' .. b)
  end
  return 0
end
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], ARGV[3] .. '-0', 'b', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('HSET', KEYS[3], 'seq', ARGV[3])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[3], 'pend', ARGV[7])
  redis.call('XTRIM', KEYS[4], 'MINID', ARGV[7])
end
redis.call('PEXPIRE', KEYS[3], ARGV[6])
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
