-- The wrk script of every HTTP endpoint of the benchmark (bench/bench.py).
--
-- Arguments after "--", in order:
--   method   GET or POST
--   path     a path where {id} becomes a random id (see below) and {n} a
--            string unique to this request; or "@FILE" for a file of
--            paths, one a line, taken in turn from a random start
--   token    a bearer token, or "-" for none
--   body     a JSON body with the same {id} and {n}, or "-" for none
--   idmin idmax stride offset
--            {id} = offset + stride * random(idmin, idmax)
--
-- done() prints one line "BENCH {json}" that the driver reads: requests,
-- errors (wrk counts any status >= 400 as a status error), and the
-- latency percentiles in microseconds.

local threads = {}
local serial = 0

function setup(thread)
  serial = serial + 1
  thread:set("tid", serial)
  table.insert(threads, thread)
end

local method, path, body, paths
local headers = {}
local idmin, idmax, stride, offset = 1, 1, 1, 0
local counter, tag, next_path = 0, "", 1

local function expand(text, id)
  counter = counter + 1
  local s = text:gsub("{id}", tostring(id))
  s = s:gsub("{n}", tag .. "-" .. counter)
  return s
end

function init(args)
  method = args[1]
  path = args[2]
  if args[3] and args[3] ~= "-" then
    headers["Authorization"] = "Bearer " .. args[3]
  end
  if args[4] and args[4] ~= "-" then
    body = args[4]
    headers["Content-Type"] = "application/json"
  end
  idmin = tonumber(args[5] or "1")
  idmax = tonumber(args[6] or "1")
  stride = tonumber(args[7] or "1")
  offset = tonumber(args[8] or "0")
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  -- unique across threads and runs: the thread, the clock and a draw
  tag = string.format("%d%d%d", tid or 0, os.time() % 100000,
                      math.random(1, 999999))
  if path:sub(1, 1) == "@" then
    paths = {}
    for line in io.lines(path:sub(2)) do
      if line ~= "" then table.insert(paths, line) end
    end
    next_path = math.random(1, #paths)
  end
end

function request()
  local id = offset + stride * math.random(idmin, idmax)
  local p
  if paths then
    p = paths[next_path]
    next_path = next_path % #paths + 1
  else
    p = expand(path, id)
  end
  local b = nil
  if body then b = expand(body, id) end
  return wrk.format(method, p, headers, b)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
