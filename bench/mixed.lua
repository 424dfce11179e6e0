-- wrk script for the mixed scenario (bench/mixed.py writes its input files).
--
--   wrk -t<T> ... -s bench/mixed.lua URL -- <requests file> <users file> <portal|baseline> <offset> <T>
--
-- requests file: one request a line, tab-separated: method, path, user (0-based line of the users file),
--   HX-Request (1/0), form body, size of the portal's answer in the dry run, kind (not used here).
-- users file: one user a line: Cookie header, CSRF token.
-- "baseline" sends the same method, headers and body to /bytes/<size> instead of the portal's path.
--
-- Thread t of T sends requests offset+t, offset+t+T, offset+t+2T, ... (wrapping at the end), so one run
-- walks the list once from `offset`, and the next run can go on from where this one stopped.
-- Every answer that is not 2xx is counted: wrk's own "Non-2xx or 3xx" leaves redirects out, and a redirect
-- (to the sign-in page, say) is a failure here. So is a 200 with an HX-Redirect header: that is how the portal
-- sends an htmx request whose session it does not accept to the sign-in page.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function fields(line)
  local out = {}
  for value in (line .. "\t"):gmatch("([^\t]*)\t") do
    out[#out + 1] = value
  end
  return out
end

function init(args)
  local requests_file, users_file, mode, offset = args[1], args[2], args[3], tonumber(args[4])
  -- wrk runs setup() and init() thread by thread, so no thread can count them: T comes as an argument.
  stride = tonumber(args[5])
  local users = {}
  for line in io.lines(users_file) do
    local f = fields(line)
    users[#users + 1] = { cookie = f[1], token = f[2] }
  end
  list = {}
  for line in io.lines(requests_file) do
    local f = fields(line)
    local method, path, user, body = f[1], f[2], users[tonumber(f[3]) + 1], f[5]
    local headers = { ["Cookie"] = user.cookie }
    if f[4] == "1" then
      headers["HX-Request"] = "true"
    end
    if method == "POST" then
      headers["X-CSRFToken"] = user.token
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    else
      body = nil
    end
    if mode == "baseline" then
      path = "/bytes/" .. f[6]
    end
    list[#list + 1] = wrk.format(method, path, headers, body)
  end
  position = offset + id
  bad, redirects, client_errors, server_errors, hx_redirects = 0, 0, 0, 0, 0
end

function request()
  local r = list[position % #list + 1]
  position = position + stride
  return r
end

function response(status, headers, body)
  if headers["HX-Redirect"] or headers["hx-redirect"] then
    bad = bad + 1
    hx_redirects = hx_redirects + 1
  elseif status < 200 or status > 299 then
    bad = bad + 1
    if status < 400 then
      redirects = redirects + 1
    elseif status < 500 then
      client_errors = client_errors + 1
    else
      server_errors = server_errors + 1
    end
  end
end

function done(summary, latency, requests)
  local bad, redirects, client_errors, server_errors, hx_redirects, furthest = 0, 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("bad")
    redirects = redirects + thread:get("redirects")
    client_errors = client_errors + thread:get("client_errors")
    server_errors = server_errors + thread:get("server_errors")
    hx_redirects = hx_redirects + thread:get("hx_redirects")
    furthest = math.max(furthest, thread:get("position"))
  end
  io.write(string.format("mixed: failed %d 3xx %d 4xx %d 5xx %d hx-redirect %d next %d\n",
                         bad, redirects, client_errors, server_errors, hx_redirects, furthest))
end
