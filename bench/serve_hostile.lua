-- wrk script for bench/serve_hostile.sh: POST /predict with real InferenceRequests (the bodies of
-- PODPOWER_BENCH_BODIES in turn), and among them, by a fixed pattern, 5% malformed bodies (cut
-- JSON, wrong types, NaN, a negative request, deep nesting, bad UTF-8, a billion-laughs YAML to
-- /predict/from-yaml) and 1% oversized ones (PODPOWER_BENCH_OVERSIZE bytes). Counts what it sent
-- and the status classes it got back, per thread, and sums them in done().
local bodies = {}
for line in io.lines(os.getenv("PODPOWER_BENCH_BODIES")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
assert(#bodies > 0, "no request bodies")
local oversize = string.rep("x", tonumber(os.getenv("PODPOWER_BENCH_OVERSIZE")))
local json = { ["Content-Type"] = "application/json" }
local yaml = { ["Content-Type"] = "application/yaml" }
local laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
for i = 2, 9 do
  local prev = string.char(96 + i - 1)
  local name = string.char(96 + i)
  local refs = {}
  for _ = 1, 9 do refs[#refs + 1] = "*" .. prev end
  laughs = laughs .. name .. ": &" .. name .. " [" .. table.concat(refs, ",") .. "]\n"
end
local malformed = {
  { "/predict", json, '{"schema_version":"v1","namespace":"a","workload_kind":"Deployment"' },
  { "/predict", json, '{"schema_version":"v1","containers":"not a list"}' },
  { "/predict", json, '{"schema_version":"v1","containers":[{"req_cpu_mcpu":NaN}]}' },
  { "/predict", json, '{"schema_version":"v1","namespace":"a","workload_kind":"Deployment",' ..
    '"workload_name":"w","containers":[{"name":"c","image":"nginx","req_cpu_mcpu":-500}]}' },
  { "/predict", json, string.rep("[", 100000) },
  { "/predict", json, '{"schema_version":"v1","namespace":"\255\254"}' },
  { "/predict/from-yaml", yaml, laughs },
}
local next_body, sent, good, bad, big = 0, 0, 0, 0, 0
status_2xx, status_4xx, status_5xx, status_other = 0, 0, 0, 0
sent_good, sent_bad, sent_big = 0, 0, 0

function init(args)
  next_body = math.random(#bodies) - 1
end

function request()
  sent = sent + 1
  if sent % 100 == 0 then
    sent_big = sent_big + 1
    return wrk.format("POST", "/predict", json, oversize)
  elseif sent % 20 == 0 then
    sent_bad = sent_bad + 1
    local m = malformed[(sent / 20) % #malformed + 1]
    return wrk.format("POST", m[1], m[2], m[3])
  end
  sent_good = sent_good + 1
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/predict", json, bodies[next_body])
end

function response(status, headers, body)
  if status >= 200 and status < 300 then status_2xx = status_2xx + 1
  elseif status >= 400 and status < 500 then status_4xx = status_4xx + 1
  elseif status >= 500 then status_5xx = status_5xx + 1
  else status_other = status_other + 1 end
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

function done(summary, latency, requests)
  local t = { good = 0, bad = 0, big = 0, s2 = 0, s4 = 0, s5 = 0, so = 0 }
  for _, th in ipairs(threads) do
    t.good = t.good + th:get("sent_good")
    t.bad = t.bad + th:get("sent_bad")
    t.big = t.big + th:get("sent_big")
    t.s2 = t.s2 + th:get("status_2xx")
    t.s4 = t.s4 + th:get("status_4xx")
    t.s5 = t.s5 + th:get("status_5xx")
    t.so = t.so + th:get("status_other")
  end
  io.write(string.format(
    "LUA sent_good=%d sent_bad=%d sent_big=%d s2xx=%d s4xx=%d s5xx=%d other=%d " ..
    "p50_us=%d p99_us=%d p999_us=%d socket_errors=%d " ..
    "connect=%d read=%d write=%d timeout=%d\n",
    t.good, t.bad, t.big, t.s2, t.s4, t.s5, t.so,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
