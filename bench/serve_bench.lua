-- wrk script for bench/serve_bench.sh: POST InferenceRequests to /predict, taking the bodies of
-- PODPOWER_BENCH_BODIES (NDJSON, one request per line) in turn, so no answer is a repeat of the
-- previous one.
local bodies = {}
for line in io.lines(os.getenv("PODPOWER_BENCH_BODIES")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
assert(#bodies > 0, "no request bodies")
local headers = { ["Content-Type"] = "application/json" }
local next_body = 0

function init(args)
  -- Each wrk thread starts at a different body.
  next_body = math.random(#bodies) - 1
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[next_body])
end

function done(summary, latency, requests)
  io.write(string.format("LUA p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d\n",
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
