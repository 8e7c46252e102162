-- wrk script for bench/webhook.sh. QUNZHU_BENCH_TARGET picks what every
-- request is:
--   hotline       a new overdue 12345 ticket (unique ticket_id, one of four
--                 units), signed as qunzhu's hotline source signs it:
--                 X-Qunzhu-Signature = "sha256=" .. hex(HMAC-SHA256(secret,
--                 timestamp .. "\n" .. body));
--   messages      a new message for /api/v1/messages (unique dedup_key),
--                 signed the same way;
--   alertmanager  an Alertmanager v4 notification with one firing alert,
--                 with the bearer token.
-- wrk's LuaJIT has no HMAC, so SHA-256 and HMAC are written here with the
-- bit library (FIPS 180-4, RFC 2104).
-- Environment: QUNZHU_BENCH_TARGET (hotline), QUNZHU_BENCH_SECRET (required
-- for hotline and messages), QUNZHU_BENCH_SOURCE, QUNZHU_BENCH_TOKEN (for
-- alertmanager), QUNZHU_BENCH_RUN (makes ids unique across runs).

local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rshift, lshift, ror, tobit = bit.rshift, bit.lshift, bit.ror, bit.tobit

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local function be32(n)
  return string.char(band(rshift(n, 24), 255), band(rshift(n, 16), 255), band(rshift(n, 8), 255), band(n, 255))
end

local function sha256(msg)
  local H = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
  local ml = #msg
  msg = msg .. "\128" .. string.rep("\0", (55 - ml) % 64) .. "\0\0\0\0" .. be32(ml * 8)
  local w = {}
  for i = 1, #msg, 64 do
    for j = 0, 15 do
      local a, b, c, d = msg:byte(i + j * 4, i + j * 4 + 3)
      w[j] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for j = 16, 63 do
      local v15, v2 = w[j - 15], w[j - 2]
      local s0 = bxor(ror(v15, 7), ror(v15, 18), rshift(v15, 3))
      local s1 = bxor(ror(v2, 17), ror(v2, 19), rshift(v2, 10))
      w[j] = tobit(w[j - 16] + s0 + w[j - 7] + s1)
    end
    local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
    for j = 0, 63 do
      local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = tobit(h + S1 + ch + K[j + 1] + w[j])
      local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + tobit(S0 + maj))
    end
    H[1], H[2], H[3], H[4] = tobit(H[1] + a), tobit(H[2] + b), tobit(H[3] + c), tobit(H[4] + d)
    H[5], H[6], H[7], H[8] = tobit(H[5] + e), tobit(H[6] + f), tobit(H[7] + g), tobit(H[8] + h)
  end
  local out = {}
  for i = 1, 8 do out[i] = be32(H[i]) end
  return table.concat(out)
end

local function xorpad(key, byte)
  return (key:gsub(".", function(ch) return string.char(bxor(ch:byte(), byte)) end))
end

local target = os.getenv("QUNZHU_BENCH_TARGET") or "hotline"
local secret = os.getenv("QUNZHU_BENCH_SECRET") or ""
local token = os.getenv("QUNZHU_BENCH_TOKEN") or ""
if target ~= "alertmanager" and secret == "" then error("QUNZHU_BENCH_SECRET is not set") end
local source = os.getenv("QUNZHU_BENCH_SOURCE") or "bench-hotline"
local key = secret
if #key > 64 then key = sha256(key) end
key = key .. string.rep("\0", 64 - #key)
local ipad, opad = xorpad(key, 0x36), xorpad(key, 0x5c)

local function hmac_hex(msg)
  local mac = sha256(opad .. sha256(ipad .. msg))
  return (mac:gsub(".", function(ch) return string.format("%02x", ch:byte()) end))
end

-- Self-check against RFC 4231 test case 2 before any request is sent.
do
  local k = "Jefe" .. string.rep("\0", 60)
  local got = sha256(xorpad(k, 0x5c) .. sha256(xorpad(k, 0x36) .. "what do ya want for nothing?"))
  got = got:gsub(".", function(ch) return string.format("%02x", ch:byte()) end)
  assert(got == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "HMAC-SHA256 self-check failed: " .. got)
end

local units = {"市城管委", "市水务局", "市住建委", "市交通委"}
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

local n = 0
local run = os.getenv("QUNZHU_BENCH_RUN") or tostring(os.time())

local function signed(path, body)
  local ts = tostring(os.time())
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Qunzhu-Source"] = source,
    ["X-Qunzhu-Timestamp"] = ts,
    ["X-Qunzhu-Signature"] = "sha256=" .. hmac_hex(ts .. "\n" .. body),
  }, body)
end

function request()
  n = n + 1
  local id = string.format("%s-%d-%d", run, tid or 0, n)
  if target == "messages" then
    return signed("/api/v1/messages", string.format(
      '{"group":"区委干部工作群","text":"压测消息 %s：12345热线工单已超期，请市城管委处理，回电13800138000。","dedup_key":"bench-%s"}', id, id))
  elseif target == "alertmanager" then
    local body = string.format(
      '{"version":"4","groupKey":"{}:{alertname=\\"DiskFull\\"}","status":"firing","receiver":"qunzhu","groupLabels":{"alertname":"DiskFull"},"commonLabels":{"alertname":"DiskFull","severity":"critical"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","severity":"critical","instance":"db-%s"},"annotations":{"summary":"磁盘将满"},"startsAt":"2025-05-30T09:00:00+08:00","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph","fingerprint":"%s"}]}',
      id, id)
    return wrk.format("POST", "/api/v1/alertmanager/ops", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
    }, body)
  end
  return signed("/api/v1/hotline/tickets", string.format(
    '{"event":"overdue","ticket_id":"B%s","title":"压测工单：路灯不亮","content":"市民来电反映路灯不亮，回电13800138000。","unit":"%s","district":"黄浦区","citizen_phone":"13800138000","deadline":"2025-05-31T18:00:00+08:00","overdue_minutes":90}',
    id, units[n % #units + 1]))
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
