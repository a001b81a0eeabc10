-- wrk script for bench/ingest.py: replays a pool of snapshots pre-signed per BRIDGE.md, in order.
--
--   wrk -s bench/replay.lua <url> -- <pool dir> [cycle]
--
-- Thread t reads <pool dir>/pool-<t>.tsv, made by bench/presign.py:
--   D <tab> device index <tab> device id <tab> body prefix   (everything before the snapshot's time)
--   R <tab> device index <tab> body tail <tab> timestamp <tab> nonce <tab> signature
-- Each body is prefix .. tail; the signature covers exactly those bytes. A thread owns its devices, and
-- its requests cycle through them with seq increasing, so a device's next snapshot is written only
-- after (number of the thread's devices − 1) others. When the pool runs out the thread sends unsigned
-- GET /health until wrk stops it (counted apart), unless `cycle` (the bare handler, which checks
-- nothing) starts the pool again.

local threads = {}
local counter = 0
local SNAPSHOT_PATH = "/v1/bridge/snapshot"

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  cycle = args[2] == "cycle"
  devices, prefixes, pool = {}, {}, {}
  local file = assert(io.open(args[1] .. "/pool-" .. thread_index .. ".tsv", "r"))
  for line in file:lines() do
    if line:sub(1, 1) == "D" then
      local index, device, prefix = line:match("^D\t(%d+)\t([^\t]+)\t(.*)$")
      devices[tonumber(index)] = device
      prefixes[tonumber(index)] = prefix
    else
      local index, tail, stamp, nonce, signature =
        line:match("^R\t(%d+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
      pool[#pool + 1] = { tonumber(index), tail, stamp, nonce, signature }
    end
  end
  file:close()
  position = 1
  accepted, duplicate, other_2xx, status_429, status_4xx, status_5xx, filler = 0, 0, 0, 0, 0, 0, 0
  exhausted = 0
end

function request()
  if position > #pool then
    if not cycle then
      exhausted = 1
      filler = filler + 1
      return wrk.format("GET", "/health", { ["Host"] = wrk.headers["Host"] }, nil)
    end
    position = 1
  end
  local item = pool[position]
  position = position + 1
  local headers = {
    ["Host"] = wrk.headers["Host"],
    ["Content-Type"] = "application/json",
    ["X-TG-Device"] = devices[item[1]],
    ["X-TG-Timestamp"] = item[3],
    ["X-TG-Nonce"] = item[4],
    ["X-TG-Signature"] = item[5],
  }
  return wrk.format("POST", SNAPSHOT_PATH, headers, prefixes[item[1]] .. item[2])
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    if body:find('"duplicate":%s*true') then
      duplicate = duplicate + 1
    elseif body:find('"accepted":%s*true') then
      accepted = accepted + 1
    else
      other_2xx = other_2xx + 1
    end
  elseif status == 429 then
    status_429 = status_429 + 1
  elseif status >= 500 then
    status_5xx = status_5xx + 1
  else
    status_4xx = status_4xx + 1
  end
end

local COUNTERS = { "accepted", "duplicate", "other_2xx", "status_429", "status_4xx", "status_5xx", "filler",
  "exhausted" }

function done(summary, latency, requests)
  local totals = {}
  for _, name in ipairs(COUNTERS) do
    totals[name] = 0
    for _, thread in ipairs(threads) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK-RESULT {"duration_us":%d,"requests":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"non_2xx_3xx":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"accepted":%d,"duplicate":%d,"other_2xx":%d,"status_429":%d,"status_4xx":%d,"status_5xx":%d,' ..
    '"filler":%d,"exhausted_threads":%d}\n',
    summary.duration, summary.requests, summary.bytes, errors.connect, errors.read, errors.write,
    errors.timeout, errors.status, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, totals.accepted, totals.duplicate, totals.other_2xx, totals.status_429, totals.status_4xx,
    totals.status_5xx, totals.filler, totals.exhausted))
end
