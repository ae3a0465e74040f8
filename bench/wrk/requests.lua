-- wrk script: requests read from the file named by BENCH_REQUESTS, one chosen at random for each
-- request; a JSON summary written to the file named by BENCH_OUT when the run ends.
--
-- File format, tab-separated, one item per line:
--   H <name> <value>            a header sent with every request
--   R <method> <path> [<body>]  one request (the body is one line, e.g. compact JSON)

local prepared = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_number", thread_count)
end

function init(args)
   local headers = {}
   local specs = {}
   for line in io.lines(os.getenv("BENCH_REQUESTS")) do
      local fields = {}
      for field in (line .. "\t"):gmatch("([^\t]*)\t") do
         fields[#fields + 1] = field
      end
      if fields[1] == "H" then
         headers[fields[2]] = fields[3]
      elseif fields[1] == "R" then
         local body = fields[4]
         if body == "" then body = nil end
         specs[#specs + 1] = { method = fields[2], path = fields[3], body = body }
      end
   end
   for i, spec in ipairs(specs) do
      prepared[i] = wrk.format(spec.method, spec.path, headers, spec.body)
   end
   math.randomseed(os.time() * 1000 + (thread_number or 1))
end

function request()
   return prepared[math.random(#prepared)]
end

function done(summary, latency, requests)
   local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
   out:write(string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
      '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, ' ..
      '"p99_us": %d, "p999_us": %d, "mean_us": %.1f, "max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.status, summary.errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      latency.mean, latency.max))
   out:close()
end
