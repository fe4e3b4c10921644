/// The Lua scripts the store runs on the server: each decision is one script, so it is atomic across every
/// process and machine, and reads the server's clock (`TIME`), so the callers' clocks never matter.
///
/// Times inside the scripts are integer microseconds since the Unix epoch (exact in Lua's doubles). Every key of
/// one pool shares the hash tag `{<prefix>}`, so a pool lives in one slot (what a Redis Cluster needs of a script's
/// keys; not tested against a Cluster here). Every key written gets an expiry:
/// its window (or arrival time) plus a margin, so a pool that is gone leaves nothing behind.
///
/// Limits travel as triples in `ARGV`: `c limit period` (calendar; period m, h, d or M), `s limit windowµs`
/// (strict rolling window), `p intervalµs 0` (spacing), `g intervalµs burst` (GCRA; a token bucket is GCRA).
enum RedisScripts {
    /// Server time, calendar windows in UTC (months through Howard Hinnant's civil-date algorithms), limit keys.
    private static let preamble = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local base = KEYS[1]
        local function fmt(x) return string.format('%.0f', x) end
        local function window(period, at)
          local unit = ({m = 60000000, h = 3600000000, d = 86400000000})[period]
          if unit then
            local s = math.floor(at / unit) * unit
            return s, s + unit
          end
          local function civil(z)
            z = z + 719468
            local era = math.floor(z / 146097)
            local doe = z - era * 146097
            local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
            local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
            local mp = math.floor((5 * doy + 2) / 153)
            local m = mp < 10 and mp + 3 or mp - 9
            local y = yoe + era * 400
            if m <= 2 then y = y + 1 end
            return y, m
          end
          local function days(y, m, d)
            if m <= 2 then y = y - 1 end
            local era = math.floor(y / 400)
            local yoe = y - era * 400
            local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
            return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
          end
          local y, m = civil(math.floor(at / 86400000000))
          local ny, nm = y, m + 1
          if nm == 13 then ny, nm = y + 1, 1 end
          return days(y, m, 1) * 86400000000, days(ny, nm, 1) * 86400000000
        end
        local function ttl(until_us, margin_ms) return math.max(1, math.ceil((until_us - now) / 1000) + margin_ms) end
        local function calendarKey(period, start) return base .. ':c:' .. period .. ':' .. fmt(start) end
        local function strictKey(w) return base .. ':s:' .. w end
        local function gcraKey(i, b) return base .. ':g:' .. i .. ':' .. b end

        """

    /// `KEYS[1]` base key, `KEYS[2]` the pool's epoch marker, `KEYS[3]` optional audit list; `ARGV`: cost, margin
    /// ms, fingerprint, limit count, limits, an admission token, how long to keep it (ms), and the epoch the caller's
    /// state belongs to. Returns `{admitted 1|0, remaining or ETA µs (-1: none / never), server now µs}`, and on an
    /// admission each limit's state after it (calendar: the count; GCRA: the arrival time; others 0), or
    /// `{2, 0, now}` when the marker is gone or names another epoch: Redis lost its state (restarted empty, failed
    /// over) or this caller has not written its own back yet (see ``epoch``). While the marker's grace runs, every
    /// admission is refused until its end, so each replica can write its state back first.
    ///
    /// The token makes a retried admission idempotent: an admitted use keeps its answer under
    /// `<base>:n:<token>` for that long, and the same token again (a retry whose first reply was lost with the
    /// connection) returns that answer without deciding or recording anything. Refusals record nothing, so a
    /// retried refusal simply decides again.
    static let admit = preamble + replay + decision + record

    /// The epoch check, then the first answer to an admission whose token was already admitted, if any (see
    /// ``admit``).
    private static let replay = """
        local token = ARGV[5 + 3 * tonumber(ARGV[4])]
        local known = ARGV[7 + 3 * tonumber(ARGV[4])]
        if known then
          local mark = redis.call('GET', KEYS[2])
          if not mark or string.sub(mark, 1, #known + 1) ~= known .. '|' then return {2, 0, now} end
          local grace = tonumber(string.sub(mark, #known + 2))
          if grace and grace > now then return {0, grace, now} end
        end
        if token then
          local first = redis.call('GET', base .. ':n:' .. token)
          if first then return {1, tonumber(first), now} end
        end

        """

    /// The admission decision alone, writing nothing (``RedisKeyStateStore/peek(fingerprint:cost:limits:at:)``):
    /// the same `KEYS[1]` and `ARGV` as ``admit`` and the same reply, as if the use had been admitted.
    static let peek = preamble + decision + "return {1, remaining or -1, now}\n"

    /// Reads the block and every limit's state and decides; leaves `cost`, `margin`, `kinds`, `as`, `bs`,
    /// `slots`, `ends`, `keys`, `values`, `used` and `remaining` for ``record``, or returns a refusal. Writes
    /// nothing: expired uses of a strict window are skipped by score here and removed when a use is recorded.
    private static let decision = """
        local cost = tonumber(ARGV[1])
        local margin = tonumber(ARGV[2])
        local n = tonumber(ARGV[4])
        local refuse, never, remaining = nil, false, nil
        local function until_(x) if refuse == nil or x > refuse then refuse = x end end
        local function remain(x) if remaining == nil or x < remaining then remaining = x end end
        local kinds, as, bs, slots, ends = {}, {}, {}, {}, {}
        local keys, pslot = {base .. ':b'}, nil
        for i = 1, n do
          local kind, a, b = ARGV[2 + 3 * i], ARGV[3 + 3 * i], ARGV[4 + 3 * i]
          kinds[i], as[i], bs[i] = kind, a, b
          if kind == 'c' then
            local s, e = window(b, now)
            ends[i] = e
            keys[#keys + 1] = calendarKey(b, s)
            slots[i] = #keys
          elseif kind == 'g' then
            keys[#keys + 1] = gcraKey(a, b)
            slots[i] = #keys
          elseif kind == 'p' then
            if not pslot then
              keys[#keys + 1] = base .. ':p'
              pslot = #keys
            end
            slots[i] = pslot
          end
        end
        local values = redis.call('MGET', unpack(keys))
        if values[1] then
          local u = tonumber(string.match(values[1], '|(%-?%d+)$'))
          if u and u > now then until_(u) end
        end
        local used = {}
        for i = 1, n do
          local kind, a, b = kinds[i], as[i], bs[i]
          if kind == 'c' then
            local limit = tonumber(a)
            used[i] = tonumber(values[slots[i]] or '0')
            if cost > limit then never = true
            elseif used[i] + cost <= limit then remain(limit - used[i] - cost)
            else until_(ends[i]) end
          elseif kind == 's' then
            local limit, w = tonumber(a), tonumber(b)
            local key, floor = strictKey(b), '(' .. fmt(now - w)
            used[i] = redis.call('ZCOUNT', key, floor, '+inf')
            if cost > limit then never = true
            elseif used[i] + cost <= limit then remain(limit - used[i] - cost)
            else
              local k = used[i] + cost - limit - 1
              local oldest = redis.call('ZRANGEBYSCORE', key, floor, '+inf', 'WITHSCORES', 'LIMIT', k, 1)
              until_(tonumber(oldest[2]) + w)
            end
          elseif kind == 'p' then
            local last = tonumber(values[slots[i]] or '-1')
            if last >= 0 and last + tonumber(a) > now then until_(last + tonumber(a)) end
          elseif kind == 'g' then
            local interval, burst = tonumber(a), tonumber(b)
            local tat = math.max(tonumber(values[slots[i]] or '0'), now)
            used[i] = tat + cost * interval
            local allowed = used[i] - burst * interval
            if cost > burst then never = true
            elseif now >= allowed then remain(math.floor((now + burst * interval - used[i]) / interval))
            else until_(allowed) end
          end
        end
        if never then return {0, -1, now} end
        if refuse then return {0, refuse, now} end

        """

    /// Records an admitted use (after ``decision``) and answers `{1, remaining or -1, now}`.
    private static let record = """
        local done, spacing, out = {}, nil, {1, remaining or -1, now}
        for i = 1, n do
          local kind, a, b = kinds[i], as[i], bs[i]
          local id = kind .. ':' .. b
          if kind == 'g' then id = 'g:' .. a .. ':' .. b end
          out[3 + i] = 0
          if kind == 'c' then out[3 + i] = used[i] + cost elseif kind == 'g' then out[3 + i] = used[i] end
          if not done[id] then
            done[id] = true
            if kind == 'c' then
              redis.call('SET', keys[slots[i]], fmt(used[i] + cost), 'PX', ttl(ends[i], margin))
            elseif kind == 's' then
              local key = strictKey(b)
              redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - tonumber(b)))
              local name = token or (fmt(now) .. '-' .. used[i])
              for u = 1, cost do redis.call('ZADD', key, fmt(now), name .. '-' .. u) end
              redis.call('PEXPIRE', key, ttl(now + tonumber(b), margin))
            elseif kind == 'p' then
              spacing = math.max(spacing or 0, tonumber(a))
            elseif kind == 'g' then
              redis.call('SET', keys[slots[i]], fmt(used[i]), 'PX', ttl(used[i], margin))
            end
          end
        end
        if spacing then redis.call('SET', base .. ':p', fmt(now), 'PX', ttl(now + spacing, margin)) end
        if KEYS[3] then
          redis.call('RPUSH', KEYS[3], ARGV[3] .. ' ' .. fmt(now))
          redis.call('PEXPIRE', KEYS[3], 3600000)
        end
        if token then
          redis.call('SET', base .. ':n:' .. token, fmt(remaining or -1), 'PX', tonumber(ARGV[6 + 3 * n]))
        end
        return out
        """

    /// The pool's epoch: `KEYS[1]` the marker, `ARGV`: a new epoch's name and its grace (µs). A missing marker (a
    /// new pool, or a Redis that lost its state) becomes `<name>|<now + grace>`, kept without expiry; returns the
    /// marker. A replica whose state belongs to an older epoch writes it back (``restore``, ``reconcile``) before
    /// it admits again; the grace holds every admission back meanwhile. The marker expires 35 days (longer than
    /// any window) after the last connection that checked it: a pool connected that long without reconnecting
    /// writes its state back once more, harmlessly (every merge is a maximum or a union).
    static let epoch = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local mark = redis.call('GET', KEYS[1])
        if not mark then
          mark = ARGV[1] .. '|' .. string.format('%.0f', now + tonumber(ARGV[2]))
        end
        redis.call('SET', KEYS[1], mark, 'PX', 3024000000)
        return mark
        """

    /// A replica's state written back, merged so nothing is under-counted. `KEYS[1]` base key; `ARGV`: margin ms,
    /// then quadruples: `s windowµs member atµs` (a use in a strict window, added if still inside it; `ZADD GT`
    /// never moves a use earlier), `g intervalµs burst tatµs` (the later arrival time wins), `p spacingµs lastµs 0`
    /// (the later last use wins).
    static let restore =
        preamble + """
            local margin = tonumber(ARGV[1])
            for i = 2, #ARGV - 3, 4 do
              local kind, a, b, c = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
              if kind == 's' then
                local w, at = tonumber(a), math.min(tonumber(c), now)
                if at > now - w then
                  redis.call('ZADD', strictKey(a), 'GT', fmt(at), b)
                  redis.call('PEXPIRE', strictKey(a), ttl(now + w, margin))
                end
              elseif kind == 'g' then
                local tat, key = tonumber(c), gcraKey(a, b)
                if tat > now and tat > tonumber(redis.call('GET', key) or '0') then
                  redis.call('SET', key, fmt(tat), 'PX', ttl(tat, margin))
                end
              elseif kind == 'p' then
                local last, spacing = tonumber(b), tonumber(a)
                if last + spacing > now and last > tonumber(redis.call('GET', base .. ':p') or '-1') then
                  redis.call('SET', base .. ':p', fmt(last), 'PX', ttl(last + spacing, margin))
                end
              end
            end
            return now
            """

    /// Gives back `cost` units in the current windows. `ARGV`: cost, margin ms, limit count, limits, then
    /// optionally a token and how long to keep it (ms): a refund whose token was seen already gives nothing back
    /// (a retry after its reply was lost), as for ``admit``.
    static let refund =
        preamble + """
            local cost = tonumber(ARGV[1])
            local margin = tonumber(ARGV[2])
            local n = tonumber(ARGV[3])
            local token = ARGV[4 + 3 * n]
            if token and not redis.call('SET', base .. ':n:' .. token, '1', 'NX', 'PX', tonumber(ARGV[5 + 3 * n])) then
              return now
            end
            local done = {}
            for i = 0, n - 1 do
              local kind, a, b = ARGV[4 + 3 * i], ARGV[5 + 3 * i], ARGV[6 + 3 * i]
              local id = kind .. ':' .. b
              if kind == 'g' then id = 'g:' .. a .. ':' .. b end
              if not done[id] then
                done[id] = true
                if kind == 'c' then
                  local key = calendarKey(b, window(b, now))
                  local left = redis.call('DECRBY', key, cost)
                  if left < 0 then redis.call('SET', key, '0', 'KEEPTTL') end
                elseif kind == 's' then
                  redis.call('ZPOPMAX', strictKey(b), cost)
                elseif kind == 'g' then
                  local tat = tonumber(redis.call('GET', gcraKey(a, b)) or '-1')
                  if tat >= 0 then
                    local back = math.max(tat - cost * tonumber(a), now)
                    redis.call('SET', gcraKey(a, b), fmt(back), 'PX', ttl(back, margin))
                  end
                end
              end
            end
            return now
            """

    /// Sets or clears the block. `ARGV`: reason ('' clears), until as µs after the server's now, margin ms.
    static let setBlock =
        preamble + """
            local until_ = now + tonumber(ARGV[2])
            if ARGV[1] == '' or until_ <= now then
              redis.call('DEL', base .. ':b')
            else
              redis.call('SET', base .. ':b', ARGV[1] .. '|' .. fmt(until_), 'PX', ttl(until_, tonumber(ARGV[3])))
            end
            return now
            """

    /// The server's now and the blocks of `KEYS` (base keys): `{now, value-or-false, …}`.
    static let blocks = """
        local t = redis.call('TIME')
        local out = {tonumber(t[1]) * 1000000 + tonumber(t[2])}
        for i = 1, #KEYS do out[i + 1] = redis.call('GET', KEYS[i] .. ':b') or '' end
        return out
        """

    /// Raises the calendar window the server spoke about so that used = limit − remaining (never lowers it).
    /// `ARGV`: remaining, reset as µs after now ('' if unknown), margin ms, limit count, limits.
    static let observe =
        preamble + """
            local remaining = tonumber(ARGV[1])
            local reset = nil
            if ARGV[2] ~= '' then reset = now + tonumber(ARGV[2]) end
            local margin = tonumber(ARGV[3])
            local n = tonumber(ARGV[4])
            local rank = {m = 0, h = 1, d = 2, M = 3}
            local best, targets = nil, {}
            for i = 0, n - 1 do
              local kind, a, b = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i]
              if kind == 'c' then
                local s, e = window(b, now)
                local score = rank[b]
                if reset then score = math.abs(e - reset) end
                if best == nil or score < best then best, targets = score, {} end
                if score == best then table.insert(targets, {tonumber(a), b, s, e}) end
              end
            end
            for _, target in ipairs(targets) do
              local key = calendarKey(target[2], target[3])
              local used = math.max(0, target[1] - math.max(0, remaining))
              local current = tonumber(redis.call('GET', key) or '0')
              if used > current then redis.call('SET', key, fmt(used), 'PX', ttl(target[4], margin)) end
            end
            return now
            """

    /// After an outage: `used = max(used, recorded here through Redis) + admitted here by the local fallback`,
    /// for a window that is still current. `ARGV`: period, window start µs, floor, add, margin ms.
    static let reconcile =
        preamble + """
            local period = ARGV[1]
            local s, e = window(period, now)
            if fmt(s) ~= ARGV[2] then return 0 end
            local key = calendarKey(period, s)
            local used = math.max(tonumber(redis.call('GET', key) or '0'), tonumber(ARGV[3])) + tonumber(ARGV[4])
            redis.call('SET', key, fmt(used), 'PX', ttl(e, tonumber(ARGV[5])))
            return used
            """

    /// A use admitted `ARGV[2]` µs ago completed now: strict windows and spacing count it from now.
    /// `ARGV`: cost, duration µs, margin ms, limit count, limits.
    ///
    /// The caller knows the request's duration on its own clock, not the server instant its use was recorded at,
    /// so the script takes the use recorded nearest to `now − duration`: for each unit of `cost`, the member of
    /// the window's sorted set whose score is nearest (ties: the earlier) and not already moved to now, rescored
    /// to now. Members are interchangeable (a window counts scores only), so the only error is the distance
    /// between that score and the use's true one: the difference of the caller-to-server delays of the
    /// admission and of this call, unless another use was recorded closer to the estimate. Spacing: the last
    /// use becomes `max(last use, now)`.
    static let settle =
        preamble + """
            local cost = tonumber(ARGV[1])
            local target = now - tonumber(ARGV[2])
            local margin = tonumber(ARGV[3])
            local n = tonumber(ARGV[4])
            local done, spacing = {}, nil
            for i = 0, n - 1 do
              local kind, a, b = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i]
              if kind == 's' and not done[b] then
                done[b] = true
                local key = strictKey(b)
                local moved = 0
                for u = 1, cost do
                  local before = redis.call('ZREVRANGEBYSCORE', key, fmt(target), '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
                  local after = redis.call('ZRANGEBYSCORE', key, '(' .. fmt(target), '(' .. fmt(now), 'WITHSCORES', 'LIMIT', 0, 1)
                  local pick = nil
                  if before[1] then pick = before[1] end
                  if after[1] and (pick == nil or tonumber(after[2]) - target < target - tonumber(before[2])) then
                    pick = after[1]
                  end
                  if pick == nil then break end
                  redis.call('ZADD', key, fmt(now), pick)
                  moved = moved + 1
                end
                if moved > 0 then redis.call('PEXPIRE', key, ttl(now + tonumber(b), margin)) end
              elseif kind == 'p' then
                spacing = math.max(spacing or 0, tonumber(a))
              end
            end
            if spacing then
              local last = tonumber(redis.call('GET', base .. ':p') or '-1')
              if now > last then redis.call('SET', base .. ':p', fmt(now), 'PX', ttl(now + spacing, margin)) end
            end
            return now
            """
}

/// Names one of ``RedisScripts``: what a call runs (cheap to hash, unlike the script's text).
enum RedisScript: Int, CaseIterable, Sendable {
    case admit, peek, settle, refund, setBlock, blocks, observe, reconcile, epoch, restore

    /// The script's Lua source.
    var source: String {
        switch self {
        case .admit: RedisScripts.admit
        case .peek: RedisScripts.peek
        case .settle: RedisScripts.settle
        case .refund: RedisScripts.refund
        case .setBlock: RedisScripts.setBlock
        case .blocks: RedisScripts.blocks
        case .observe: RedisScripts.observe
        case .reconcile: RedisScripts.reconcile
        case .epoch: RedisScripts.epoch
        case .restore: RedisScripts.restore
        }
    }
}
