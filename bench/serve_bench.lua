-- wrk script for bench/serve_bench.sh: POST the same InferenceRequest to /predict.
local f = assert(io.open(os.getenv("PODPOWER_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  io.write(string.format("LUA p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
