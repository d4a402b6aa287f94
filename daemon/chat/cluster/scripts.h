#pragma once
// The Lua scripts a cluster runs in Redis (EVALSHA). Each one is a single atomic step of the
// chat's shared state: a room event gets its seq, goes into the room's Streams and is PUBLISHed in
// one script, so every daemon sees one order per room. Key layout (P = cluster.prefix, r = a
// folded room name, n = a folded nick):
//   P room:r           hash: seq, epoch, name (display), topic (wire event)   also the channel
//   P room:r:log       stream: every room event, id "<seq>-1", MAXLEN ~ kLogLength (gap repair)
//   P room:r:history   stream: messages and actions, MAXLEN chat.history (history on join)
//   P room:r:who       zset: n -> expiry (ms); P room:r:names hash: n -> display nick
//   P rooms            zset: r -> expiry (ms): the rooms with live members
//   P nick:n           string "<node>:<client>": who holds the nick (SET NX PX nick_ttl)
//   P user:n           hash: display, away, rooms (display names, one per line)
//   P node:name        string: the running instance that holds the node name; also the channel
//                      of private messages to that node's clients
//   P guests           counter: guest nick numbers, handed out in blocks
// Every key has a TTL refreshed by the heartbeat of a daemon that uses it, or is trimmed.
// Keys are built inside the scripts from the prefix (one Redis, or Sentinel; not Redis Cluster).
#include "sockchat/redis/script.h"

namespace sockchatd::cluster {

// Events kept per room for gap repair; a subscriber further behind than this loses the rest.
constexpr int kLogLength = 1000;

struct Scripts {
    Scripts();
    // ARGV[1..5] of every script: P, nick_ttl ms, room ttl ms, a new epoch, chat.history.
    // Then, per script (n: a folded nick, owner: "<node>:<client>", wire: an encoded event;
    // floor, floor epoch: a seq the caller delivered already in that room, 0 if none, and the
    // epoch it counts in: a counter of that epoch at or below it went back in a failover, and the
    // room starts a new epoch):
    // r, display, n, nick, expiry ms, wire, user rooms, floor, floor epoch
    //   -> {seq, epoch, name, topic wire or "", {history entries}}
    sockchat::redis::Script join;
    // r, display, n, wire, user rooms, floor, floor epoch -> {seq, epoch} or nil (not a member)
    sockchat::redis::Script leave;
    // r, display, wire, kind (message|topic|other), floor, floor epoch -> {seq, epoch}
    sockchat::redis::Script publish;
    // old n, new n, new display, owner, nick wire, join wire, expiry ms, rooms (r...)
    //   -> nil (taken) or {{r, seq, epoch}...}
    sockchat::redis::Script rename;
    // n, display, owner, away, user rooms -> 1 (ours now) or 0 (someone else's)
    sockchat::redis::Script claim;
    // n, owner, leave wire, rooms (r...) -> {{r, seq, epoch}...}
    sockchat::redis::Script quit;
    // node, instance, now ms, expiry ms, default r, nick count, (n, owner)..., member count,
    // (r, n, display, join wire)...
    //   -> {node ok (0/1), {lost n...}, {{r, seq, epoch} of events published...}}
    sockchat::redis::Script heartbeat;
    // to n, sender owner, wire -> nil or {display, away}
    sockchat::redis::Script sendPrivate;
    // r, now ms, default r, default display -> nil or {display, names...}
    sockchat::redis::Script who;
    // now ms, default r, default display, offset, limit, r... -> {total, {display, members,
    // topic wire}...}: the rooms r... that exist, or without any, the page [offset, offset +
    // limit) of P rooms and its size. O(log rooms + limit): never every room (/rooms is cheap to
    // ask for).
    sockchat::redis::Script rooms;
};

}  // namespace sockchatd::cluster
