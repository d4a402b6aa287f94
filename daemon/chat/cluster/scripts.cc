#include "scripts.h"

#include <string>

namespace sockchatd::cluster {

namespace {

// Shared by every script: ARGV[1..5] are the same for all of them, and publish_event() is the one
// place a room event gets its seq.
const std::string kPrelude = R"lua(
local P, NICK_TTL, ROOM_TTL, NEW_EPOCH, HISTORY = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local LOG_LENGTH = ')lua" + std::to_string(kLogLength) +
                             R"lua('

local function room_key(r) return P .. 'room:' .. r end

local function keep(key, ttl) redis.call('PEXPIRE', key, ttl) end

-- Appends one event to room r (display name `name` if the room is new) and publishes it. A room
-- without an epoch is new, or lost (Redis restarted empty, a failover lost it): a new epoch tells
-- every daemon that the seqs start over.
-- `floor`: a seq the caller has already delivered in this room (0: none known), counted in
-- `floor_epoch`. A counter of that same epoch at or below it went back (a failover to a replica
-- that had not got the last writes): the room starts a new epoch, so that no daemon takes this
-- event for one it has delivered already. A floor of another epoch says nothing about this
-- counter: the caller has not seen the room's newer epoch yet (Redis restarted empty and another
-- event began one), and a third epoch would delete that one's log before every daemon has it.
local function publish_event(r, name, wire, kind, floor, floor_epoch)
  local meta = room_key(r)
  local log, hist = meta .. ':log', meta .. ':history'
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    epoch = NEW_EPOCH
    redis.call('DEL', log, hist)
    redis.call('HSET', meta, 'epoch', epoch, 'name', name)
  end
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  if floor and epoch == floor_epoch and seq <= tonumber(floor) then
    epoch = NEW_EPOCH
    redis.call('DEL', log, hist)
    redis.call('HSET', meta, 'epoch', epoch, 'seq', 1)
    seq = 1
  end
  local id = seq .. '-1'
  redis.call('XADD', log, 'MAXLEN', '~', LOG_LENGTH, id, 'e', wire)
  keep(log, ROOM_TTL)
  if kind == 'message' and tonumber(HISTORY) > 0 then
    redis.call('XADD', hist, 'MAXLEN', HISTORY, id, 'e', wire)
    keep(hist, ROOM_TTL)
  elseif kind == 'topic' then
    redis.call('HSET', meta, 'topic', wire)
  end
  keep(meta, ROOM_TTL)
  redis.call('PUBLISH', meta, epoch .. ' ' .. seq .. ' ' .. wire)
  return {seq, epoch}
end

-- A join or leave carries the room's size with it ("m" in the wire JSON), which decides whether
-- the other members are shown it (chat.presence_limit). Counted here, where it is exact.
local function with_members(wire, who)
  return string.sub(wire, 1, -2) .. ',"m":' .. redis.call('ZCARD', who) .. '}'
end

local function set_user(n, field, value)
  local u = P .. 'user:' .. n
  redis.call('HSET', u, field, value)
  keep(u, ROOM_TTL)
end
)lua";

const char* kJoin = R"lua(
local r, name, n, nick, expiry, wire, user_rooms, floor, floor_epoch = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local meta = room_key(r)
redis.call('ZADD', meta .. ':who', expiry, n)
redis.call('HSET', meta .. ':names', n, nick)
keep(meta .. ':who', ROOM_TTL)
keep(meta .. ':names', ROOM_TTL)
redis.call('ZADD', P .. 'rooms', expiry, r)
keep(P .. 'rooms', ROOM_TTL)
set_user(n, 'rooms', user_rooms)
local res = publish_event(r, name, with_members(wire, meta .. ':who'), 'other', floor, floor_epoch)
local info = redis.call('HMGET', meta, 'name', 'topic')
local past = redis.call('XRANGE', meta .. ':history', '-', '+')
return {res[1], res[2], info[1] or name, info[2] or '', past}
)lua";

const char* kLeave = R"lua(
local r, name, n, wire, user_rooms, floor, floor_epoch = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local meta = room_key(r)
if redis.call('ZREM', meta .. ':who', n) == 0 then return false end
redis.call('HDEL', meta .. ':names', n)
set_user(n, 'rooms', user_rooms)
return publish_event(r, name, with_members(wire, meta .. ':who'), 'other', floor, floor_epoch)
)lua";

const char* kPublish = R"lua(
return publish_event(ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
)lua";

const char* kRename = R"lua(
local old, new, display, owner, wire, join_wire, expiry =
  ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
-- The old nick may be someone else's by now (taken while this daemon was cut off): then its
-- presence entries are theirs, and the client comes back under its new nick with a join.
local ours = true
if old ~= new then
  local key = P .. 'nick:' .. new
  local holder = redis.call('GET', key)
  if holder and holder ~= owner then return false end
  redis.call('SET', key, owner, 'PX', NICK_TTL)
  local old_key = P .. 'nick:' .. old
  local old_holder = redis.call('GET', old_key)
  ours = (not old_holder) or old_holder == owner
  if old_holder == owner then redis.call('DEL', old_key) end
  local old_user, new_user = P .. 'user:' .. old, P .. 'user:' .. new
  if ours and redis.call('EXISTS', old_user) == 1 then redis.call('RENAME', old_user, new_user) end
end
set_user(new, 'display', display)
local out = {}
for i = 13, #ARGV do
  local r = ARGV[i]
  local meta = room_key(r)
  local who = meta .. ':who'
  local score = ours and redis.call('ZSCORE', who, old)
  if score then
    redis.call('ZREM', who, old)
    redis.call('ZADD', who, score, new)
    redis.call('HDEL', meta .. ':names', old)
    redis.call('HSET', meta .. ':names', new, display)
    local res = publish_event(r, r, wire, 'other')
    table.insert(out, {r, res[1], res[2]})
  elseif not ours and redis.call('ZADD', who, expiry, new) == 1 then
    redis.call('HSET', meta .. ':names', new, display)
    local res = publish_event(r, r, with_members(join_wire, who), 'other')
    table.insert(out, {r, res[1], res[2]})
  end
end
return out
)lua";

const char* kClaim = R"lua(
local n, display, owner, away, user_rooms = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local key = P .. 'nick:' .. n
local holder = redis.call('GET', key)
if holder and holder ~= owner then return 0 end
redis.call('SET', key, owner, 'PX', NICK_TTL)
local u = P .. 'user:' .. n
redis.call('HSET', u, 'display', display, 'away', away, 'rooms', user_rooms)
keep(u, ROOM_TTL)
return 1
)lua";

const char* kQuit = R"lua(
local n, owner, wire = ARGV[6], ARGV[7], ARGV[8]
local out = {}
for i = 9, #ARGV do
  local r = ARGV[i]
  local meta = room_key(r)
  if redis.call('ZREM', meta .. ':who', n) == 1 then
    redis.call('HDEL', meta .. ':names', n)
    local res = publish_event(r, r, with_members(wire, meta .. ':who'), 'other')
    table.insert(out, {r, res[1], res[2]})
  end
end
local key = P .. 'nick:' .. n
if redis.call('GET', key) == owner then redis.call('DEL', key, P .. 'user:' .. n) end
return out
)lua";

const char* kHeartbeat = R"lua(
local node, instance, now, expiry, default = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local node_key = P .. 'node:' .. node
local holder = redis.call('GET', node_key)
if holder and holder ~= instance then return {0, {}, {}} end
redis.call('SET', node_key, instance, 'PX', NICK_TTL)
local i = 11
local lost = {}
local taken = {}  -- held by someone else now: their presence entries are not ours to refresh
local nicks = tonumber(ARGV[i]); i = i + 1
for k = 1, nicks do
  local n, owner = ARGV[i], ARGV[i + 1]; i = i + 2
  local key = P .. 'nick:' .. n
  local holder = redis.call('GET', key)
  if holder == owner then
    keep(key, NICK_TTL)
    keep(P .. 'user:' .. n, ROOM_TTL)
  else
    table.insert(lost, n)
    if holder then taken[n] = true end
  end
end
local events = {}
local rooms = {}
rooms[default] = true
local members = tonumber(ARGV[i]); i = i + 1
for k = 1, members do
  local r, n, nick, wire = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]; i = i + 4
  local meta = room_key(r)
  -- A member gone meanwhile (reaped while this daemon was slow, or lost with Redis's data)
  -- comes back, and the room is told.
  if not taken[n] and redis.call('ZADD', meta .. ':who', expiry, n) == 1 then
    redis.call('HSET', meta .. ':names', n, nick)
    local res = publish_event(r, r, with_members(wire, meta .. ':who'), 'other')
    table.insert(events, {r, res[1], res[2]})
  end
  rooms[r] = true
end
for r, _ in pairs(rooms) do
  local meta = room_key(r)
  -- Members whose daemon stopped refreshing them leave, once: ZREM decides who tells.
  local expired = redis.call('ZRANGEBYSCORE', meta .. ':who', '-inf', now)
  for _, m in ipairs(expired) do
    if redis.call('ZREM', meta .. ':who', m) == 1 then
      local nick = redis.call('HGET', meta .. ':names', m) or m
      redis.call('HDEL', meta .. ':names', m)
      local wire = cjson.encode({t = 'leave', ms = tonumber(now), n = nick,
                                 x = 'lost: its server stopped answering'})
      local res = publish_event(r, r, with_members(wire, meta .. ':who'), 'other')
      table.insert(events, {r, res[1], res[2]})
    end
  end
  for _, suffix in ipairs({'', ':log', ':history', ':who', ':names'}) do
    keep(meta .. suffix, ROOM_TTL)
  end
  redis.call('ZADD', P .. 'rooms', expiry, r)
end
redis.call('ZREMRANGEBYSCORE', P .. 'rooms', '-inf', now)
keep(P .. 'rooms', ROOM_TTL)
return {1, lost, events}
)lua";

const char* kSendPrivate = R"lua(
local to, sender, wire = ARGV[6], ARGV[7], ARGV[8]
local owner = redis.call('GET', P .. 'nick:' .. to)
if not owner then return false end
local user = redis.call('HMGET', P .. 'user:' .. to, 'display', 'away')
if owner ~= sender then
  local node, client = string.match(owner, '^(.*):(%d+)$')
  redis.call('PUBLISH', P .. 'node:' .. node, client .. ' ' .. wire)
end
return {user[1] or to, user[2] or ''}
)lua";

const char* kWho = R"lua(
local r, now, default, default_name = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local meta = room_key(r)
local members = redis.call('ZRANGEBYSCORE', meta .. ':who', now, '+inf')
if #members == 0 and r ~= default then return false end
local name = redis.call('HGET', meta, 'name')
if not name then name = (r == default) and default_name or r end
local out = {name}
if #members > 0 then
  local names = redis.call('HMGET', meta .. ':names', unpack(members))
  for k = 1, #members do table.insert(out, names[k] or members[k]) end
end
return out
)lua";

const char* kRooms = R"lua(
local now, default, default_name = ARGV[6], ARGV[7], ARGV[8]
local out = {0}
local function add(r)
  local info = redis.call('HMGET', room_key(r), 'name', 'topic')
  table.insert(out, info[1] or ((r == default) and default_name or r))
  table.insert(out, redis.call('ZCOUNT', room_key(r) .. ':who', now, '+inf'))
  table.insert(out, info[2] or '')
end
-- The rooms asked for (the caller pages them in name order), those still alive.
for i = 11, #ARGV do
  local expiry = redis.call('ZSCORE', P .. 'rooms', ARGV[i])
  if expiry and tonumber(expiry) >= tonumber(now) then
    out[1] = out[1] + 1
    add(ARGV[i])
  end
end
return out
)lua";

}  // namespace

Scripts::Scripts()
    : join(kPrelude + kJoin),
      leave(kPrelude + kLeave),
      publish(kPrelude + kPublish),
      rename(kPrelude + kRename),
      claim(kPrelude + kClaim),
      quit(kPrelude + kQuit),
      heartbeat(kPrelude + kHeartbeat),
      sendPrivate(kPrelude + kSendPrivate),
      who(kPrelude + kWho),
      rooms(kPrelude + kRooms) {}

}  // namespace sockchatd::cluster
