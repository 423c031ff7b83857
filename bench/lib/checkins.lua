-- wrk script for the check-in figure: every request is one enrolled instance's poll of its desired state, with its own
-- credential and the ETag of the answer it holds (If-None-Match), rotating through the whole fleet.
-- Arguments (after `--`): the fleet file (lines "<credential> <etag>") and the status every answer should have.
-- Prints one JSON line: requests, seconds, p50/p99 in microseconds, answers with the expected status and others.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path = wrk.path
  requests = {}
  for line in io.lines(args[1]) do
    local credential, etag = line:match("^(%S+) (.+)$")
    requests[#requests + 1] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. credential, ["If-None-Match"] = etag })
  end
  expected = tonumber(args[2])
  -- Threads start at different places in the fleet so that they do not poll as the same instances.
  counter = (id * 7919) % #requests
  good = 0
  other = 0
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function response(status)
  if status == expected then
    good = good + 1
  else
    other = other + 1
  end
end

function done(summary, latency)
  local g, o = 0, 0
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"p50Us":%d,"p99Us":%d,"maxUs":%d,"expected":%d,"other":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency.max, g, o,
    e.connect + e.read + e.write + e.timeout))
end
