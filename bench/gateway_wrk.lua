-- wrk script for bench/gateway_overhead.py: like wrk_report.lua, and it can POST a body.
-- Environment: WRK_BEARER_TOKEN (adds "Authorization: Bearer ..."), WRK_METHOD (default GET),
-- WRK_BODY and WRK_CONTENT_TYPE (for a POST). Prints one line when the run ends:
--   WRK_RESULT {"requests":..,"rps":..,"p50_ms":..,"p95_ms":..,"p99_ms":..,...}
-- wrk counts a response as a status error when its status is 400 or more.

local token = os.getenv("WRK_BEARER_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local method = os.getenv("WRK_METHOD")
if method ~= nil and method ~= "" then
  wrk.method = method
end
local body = os.getenv("WRK_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"
end

local function ms(microseconds)
  return microseconds / 1000.0
end

function done(summary, latency, requests)
  local errors = summary.errors
  local seconds = summary.duration / 1000000.0
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,'
      .. '"mean_ms":%.3f,"max_ms":%.3f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,'
      .. '"timeout_errors":%d,"status_errors":%d}\n',
    summary.requests, summary.duration, summary.requests / seconds,
    ms(latency:percentile(50)), ms(latency:percentile(95)), ms(latency:percentile(99)),
    ms(latency.mean), ms(latency.max),
    errors.connect, errors.read, errors.write, errors.timeout, errors.status
  ))
end
