-- wrk script for bench/reads.py: bench/replay.lua (the pre-signed pool, its counters and its result line),
-- sent at a steady pace instead of as fast as the server answers.
--
--   wrk -s bench/reads_paced.lua <url> -- <pool dir>
--
-- <pool dir>/pace holds the milliseconds between two requests of one thread. wrk asks delay() before
-- each request of each connection; every call claims the thread's next free slot (never one in the
-- past: a slot missed while every connection waited for an answer is dropped, not made up in a burst),
-- so a thread sends one request per interval as long as it has a free connection.

local source = debug.getinfo(1, "S").source:sub(2)
dofile((source:match("^(.*)/[^/]*$") or ".") .. "/replay.lua")

local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_usec; } reads_timeval;
  int gettimeofday(reads_timeval *tv, void *tz);
]])
local clock = ffi.new("reads_timeval")

local function now_ms()
  ffi.C.gettimeofday(clock, nil)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_usec) / 1000
end

local replay_init = init

function init(args)
  replay_init(args)
  local file = assert(io.open(args[1] .. "/pace", "r"))
  interval_ms = tonumber(file:read("*l"))
  file:close()
  next_slot = 0
end

function delay()
  local now = now_ms()
  local slot = math.max(next_slot, now)
  next_slot = slot + interval_ms
  return math.floor(slot - now)
end
