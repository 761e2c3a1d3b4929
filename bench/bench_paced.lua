-- bench.lua at a steady rate: each connection pauses between its calls,
-- so that the calls' latency is measured on a machine that is not
-- saturated by the client (bench/bench.py, the gateway log's purge: the
-- calls that go on while a month of the log is purged).
--
-- Arguments: those of bench.lua. The pause, in milliseconds, comes from
-- the environment, BENCH_PAUSE_MS (default 100).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "bench.lua")

local pause = tonumber(os.getenv("BENCH_PAUSE_MS") or "100")

function delay()
  return pause
end
