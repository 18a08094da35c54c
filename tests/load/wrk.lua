-- wrk script of `make bench` (tests/load/bench.py):
--   wrk -t1 -c50 -d10s --timeout 30s -s tests/load/wrk.lua -H 'x-api-key: ...' http://host -- paths.txt
-- Requests rotate over the paths of the file given after `--` (one path a line, e.g.
-- /api/v1/products/1 .. /api/v1/products/200); without it, wrk's URL path is requested.
-- done() prints machine-readable `bench <what> ...` lines (times in microseconds) that
-- tests/load/stats.py parse_wrk reads: requests, duration, socket errors, every status code
-- seen, and latency percentiles including p95 (wrk's --latency only prints 50/75/90/99).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  if args[1] then
    for line in io.lines(args[1]) do
      if line ~= "" then table.insert(paths, line) end
    end
  end
  counter = 0
  statuses = {}
end

function request()
  if #paths == 0 then
    return wrk.format()
  end
  counter = counter + 1
  return wrk.format(nil, paths[(counter - 1) % #paths + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("bench requests %d\n", summary.requests))
  io.write(string.format("bench duration_us %d\n", summary.duration))
  for _, name in ipairs({"connect", "read", "write", "timeout"}) do
    io.write(string.format("bench error %s %d\n", name, summary.errors[name]))
  end
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format("bench status %d %d\n", status, count))
    end
  end
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("bench latency p%d %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("bench latency mean %.1f\n", latency.mean))
  io.write(string.format("bench latency max %d\n", latency.max))
end
