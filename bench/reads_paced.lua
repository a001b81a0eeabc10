-- wrk script for bench/reads.py: bench/replay.lua (the pre-signed pool, its counters and its result line),
-- sent at a steady pace instead of as fast as the server answers.
--
--   wrk -s bench/reads_paced.lua <url> -- <pool dir>
--
-- <pool dir>/pace holds the milliseconds between two requests of one thread. wrk asks delay() before
-- each request of each connection; every call claims the thread's next free slot, so a thread sends one
-- request per interval as long as it has a free connection. A slot missed while every connection waited
-- for an answer is dropped, not made up in a burst, and so is its request in the pool: each request is
-- stamped with its slot's time (bench/reads_pool.py), and a server slower than the pace would otherwise
-- get ever older timestamps until BRIDGE.md's 30 s window refused them all.

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
  if next_slot > 0 and now >= next_slot + interval_ms then
    local missed = math.floor((now - next_slot) / interval_ms)
    position = position + missed -- replay.lua's next request: skip those of the slots missed
    next_slot = next_slot + missed * interval_ms
  end
  local slot = math.max(next_slot, now)
  next_slot = slot + interval_ms
  return math.floor(slot - now)
end
