/**
 * The Lua scripts of the "flask-session" layout, where a session is one string key holding the
 * whole session dict, as Flask-Session writes it (MessagePack or JSON).
 *
 * A per-key patch is applied inside Redis, so it is atomic like the hash layout's: the script
 * splits the stored map into its top-level entries (key, raw key bytes, raw value bytes),
 * replaces, deletes and appends entries, and writes the map back. Values the request did not
 * change are copied byte for byte, never decoded and re-encoded, so whatever Python stored
 * (floats, datetimes to the microsecond, extension types, dicts with int keys) stays exactly
 * as it was. The new values come encoded by the app, in the record's own serialization.
 *
 * A record is read as MessagePack unless its first byte opens JSON (`{` or whitespace), as
 * Flask-Session 0.8 falls back from one to the other. A script told to write one serialization
 * into a record of the other answers -1 and changes nothing; the caller sends its values again
 * in the record's serialization. A value that is neither (corrupt, or another type) counts as
 * no session.
 */
import { PERMANENT_KEY } from "../flask-session/record.ts";
import { Script } from "./scripts.ts";

/**
 * Each script is one Lua chunk that Redis runs from the top on every call, and every function
 * it defines is a closure built again on every call (Redis 7 keeps no state between calls:
 * globals are read-only). So, as in the hash layout's scripts, code that runs once per call is
 * inlined from these templates, and the few functions left (loops called once per entry) are
 * defined in the branch that reads the record's serialization only: 3 closures a call, where
 * defining every helper up front built 16. Measured with INFO commandstats on Redis 7.0 (a
 * 9-key record, medians of 5 interleaved runs of 40000 calls): APPLY 10.65 → 9.88 µs and
 * OWNED_BY 7.83 → 7.01 µs on MessagePack, 20.08 → 18.48 and 16.5 → 15.37 µs on JSON.
 */

/** Lua expressions: the big-endian unsigned int of 2 or 4 bytes of `s` from `i`. */
function u16(s: string, i: string): string {
  return `(string.byte(${s}, ${i}) * 256 + string.byte(${s}, ${i} + 1))`;
}
function u32(s: string, i: string): string {
  const byte = (k: number) => `string.byte(${s}, ${i} + ${k})`;
  return `(((string.byte(${s}, ${i}) * 256 + ${byte(1)}) * 256 + ${byte(2)}) * 256 + ${byte(3)})`;
}

/** Lua expression: the position of the first byte of `s` from `pos` that is not JSON space. */
function space(s: string, pos: string): string {
  return `string.find(${s}, '[^ \\t\\n\\r]', ${pos})`;
}

/** Defines mp_entries(s): a MessagePack map's entries { name, raw key, raw value }, or nil. */
const MSGPACK_PARSER = `
-- The position just after the MessagePack value starting at pos, or nil when it is malformed
-- or runs past the end. Iterative: each step reads one header and counts the items it opens.
local function mp_skip(s, pos)
  local n = #s
  local pending = 1
  while pending > 0 do
    if pos > n then return nil end
    local b = string.byte(s, pos)
    pending = pending - 1
    if b < 0x80 or b >= 0xe0 or b == 0xc0 or b == 0xc2 or b == 0xc3 then pos = pos + 1
    elseif b < 0x90 then pending = pending + 2 * (b - 0x80); pos = pos + 1
    elseif b < 0xa0 then pending = pending + (b - 0x90); pos = pos + 1
    elseif b < 0xc0 then pos = pos + 1 + (b - 0xa0)
    elseif b == 0xcc or b == 0xd0 then pos = pos + 2
    elseif b == 0xcd or b == 0xd1 then pos = pos + 3
    elseif b == 0xce or b == 0xd2 or b == 0xca then pos = pos + 5
    elseif b == 0xcf or b == 0xd3 or b == 0xcb then pos = pos + 9
    elseif b == 0xd4 then pos = pos + 3
    elseif b == 0xd5 then pos = pos + 4
    elseif b == 0xd6 then pos = pos + 6
    elseif b == 0xd7 then pos = pos + 10
    elseif b == 0xd8 then pos = pos + 18
    else
      local width
      if b == 0xc4 or b == 0xc7 or b == 0xd9 then width = 1
      elseif b == 0xc5 or b == 0xc8 or b == 0xda or b == 0xdc or b == 0xde then width = 2
      elseif b == 0xc6 or b == 0xc9 or b == 0xdb or b == 0xdd or b == 0xdf then width = 4
      else return nil end
      if pos + width > n then return nil end
      local count
      if width == 1 then count = string.byte(s, pos + 1)
      elseif width == 2 then count = ${u16("s", "pos + 1")}
      else count = ${u32("s", "pos + 1")} end
      pos = pos + 1 + width
      if b == 0xdc or b == 0xdd then pending = pending + count
      elseif b == 0xde or b == 0xdf then pending = pending + 2 * count
      elseif b == 0xc7 or b == 0xc8 or b == 0xc9 then pos = pos + 1 + count
      else pos = pos + count end
    end
  end
  if pos > n + 1 then return nil end
  return pos
end

-- The name the reader (src/codecs/msgpack) gives the MessagePack map key k (its bytes), as
-- JSON names it: text as it is, an int as its digits, a float as Python's repr, nil, true and
-- false as null, true and false. A key JSON cannot hold (bytes, an array, a map, an
-- extension), which the reader leaves out, gets a name no patch can use (byte 0xff never
-- starts UTF-8 text).
local function mp_key_name(k)
  local b = string.byte(k, 1)
  if b == 0xda then return string.sub(k, 4) end
  if b == 0xdb then return string.sub(k, 6) end
  if b < 0x80 then return tostring(b) end
  if b >= 0xe0 then return tostring(b - 256) end
  if b == 0xc0 then return 'null' end
  if b == 0xc2 then return 'false' end
  if b == 0xc3 then return 'true' end
  if b == 0xcc then return tostring(string.byte(k, 2)) end
  if b == 0xcd then return tostring(${u16("k", "2")}) end
  if b == 0xce then return tostring(${u32("k", "2")}) end
  if b == 0xd0 then return tostring((string.byte(k, 2) + 128) % 256 - 128) end
  if b == 0xd1 then return tostring((${u16("k", "2")} + 32768) % 65536 - 32768) end
  if b == 0xd2 then return tostring((${u32("k", "2")} + 2147483648) % 4294967296 - 2147483648) end
  if b == 0xcf or b == 0xd3 then
    -- 64 bits, beyond a Lua number: the magnitude in base 10^7 digits, least significant
    -- first; a negative int64 is its inverted bits plus one.
    local negative = b == 0xd3 and string.byte(k, 2) >= 128
    local limbs = { 0 }
    for j = 2, 9 do
      local carry = string.byte(k, j)
      if negative then carry = 255 - carry end
      for i = 1, #limbs do
        local v = limbs[i] * 256 + carry
        limbs[i] = v % 10000000
        carry = math.floor(v / 10000000)
      end
      if carry > 0 then limbs[#limbs + 1] = carry end
    end
    if negative then
      local i = 1
      while limbs[i] == 9999999 do limbs[i] = 0; i = i + 1 end
      limbs[i] = (limbs[i] or 0) + 1
    end
    local parts = { negative and '-' or '', tostring(limbs[#limbs]) }
    for i = #limbs - 1, 1, -1 do parts[#parts + 1] = string.format('%07d', limbs[i]) end
    return table.concat(parts)
  end
  if b ~= 0xca and b ~= 0xcb then return '\\255' .. k end
  local x = struct.unpack(b == 0xca and '>f' or '>d', k, 2)
  if x ~= x then return 'NaN' end
  if x == math.huge then return 'Infinity' end
  if x == -math.huge then return '-Infinity' end
  if x == 0 then return 1 / x < 0 and '-0.0' or '0.0' end
  local sign = ''
  if x < 0 then sign = '-'; x = -x end
  -- repr's digits: the fewest that read back as x, the nearest to x of those. %.*e rounds to
  -- the nearest; only next to a power of two can the one above it be the one instead.
  local digits, scale
  for p = 0, 16 do
    local first, rest, e = string.match(string.format('%.' .. p .. 'e', x), '^(%d)%.?(%d*)e([-+]%d+)$')
    local d = first .. rest
    scale = tonumber(e) - p
    if tonumber(d .. 'e' .. scale) == x then digits = d; break end
    local head = string.match(d, '^(.-)9*$')
    local up = '1' .. string.rep('0', #d)
    if head ~= '' then
      up = string.sub(head, 1, -2) .. string.char(string.byte(head, -1) + 1) .. string.rep('0', #d - #head)
    end
    if tonumber(up .. 'e' .. scale) == x then digits = up; break end
  end
  local significant = string.match(digits, '^(.-)0*$')
  local exponent = scale + #digits - 1
  if exponent < -4 or exponent >= 16 then
    local fraction = ''
    if #significant > 1 then fraction = '.' .. string.sub(significant, 2) end
    return string.format('%s%s%se%s%02d', sign, string.sub(significant, 1, 1), fraction,
      exponent < 0 and '-' or '+', math.abs(exponent))
  end
  if exponent < 0 then return sign .. '0.' .. string.rep('0', -exponent - 1) .. significant end
  local whole = string.sub(significant, 1, exponent + 1)
  whole = whole .. string.rep('0', exponent + 1 - #whole)
  local fraction = string.sub(significant, exponent + 2)
  if fraction == '' then fraction = '0' end
  return sign .. whole .. '.' .. fraction
end

-- A MessagePack map: its entries { name, raw key, raw value }, or nil. Keys are named as the
-- reader names them (mp_key_name), so a patch finds the entries the reader showed.
local function mp_entries(s)
  local n = #s
  local b = string.byte(s, 1)
  local count, pos
  if b == nil then return nil
  elseif b >= 0x80 and b <= 0x8f then count = b - 0x80; pos = 2
  elseif b == 0xde and n >= 3 then count = ${u16("s", "2")}; pos = 4
  elseif b == 0xdf and n >= 5 then count = ${u32("s", "2")}; pos = 6
  else return nil end
  local entries = {}
  for i = 1, count do
    if pos > n then return nil end
    local k = string.byte(s, pos)
    local name, value
    if k >= 0xa0 and k <= 0xbf then
      value = pos + 1 + k - 0xa0
      name = string.sub(s, pos + 1, value - 1)
    elseif k == 0xd9 and pos + 1 <= n then
      value = pos + 2 + string.byte(s, pos + 1)
      name = string.sub(s, pos + 2, value - 1)
    else
      value = mp_skip(s, pos)
      if value == nil then return nil end
      name = mp_key_name(string.sub(s, pos, value - 1))
    end
    local after = mp_skip(s, value)
    if after == nil then return nil end
    entries[i] = { name, string.sub(s, pos, value - 1), string.sub(s, value, after - 1) }
    pos = after
  end
  if pos ~= n + 1 then return nil end
  return entries
end
`;

/** Defines js_entries(s): a JSON object's entries { name, raw key, raw value }, or nil. */
const JSON_PARSER = `
local function js_string_end(s, pos)
  local i = pos + 1
  while true do
    local j = string.find(s, '["\\\\]', i)
    if j == nil then return nil end
    if string.byte(s, j) == 34 then return j + 1 end
    i = j + 2
  end
end

-- The position just after the JSON value starting at pos (the text is known to be valid JSON).
local function js_value_end(s, pos)
  local c = string.byte(s, pos)
  if c == 34 then return js_string_end(s, pos) end
  if c == 123 or c == 91 then
    local depth, i = 0, pos
    while true do
      local j = string.find(s, '["{}%[%]]', i)
      if j == nil then return nil end
      local d = string.byte(s, j)
      if d == 34 then
        i = js_string_end(s, j)
        if i == nil then return nil end
      else
        if d == 123 or d == 91 then depth = depth + 1 else depth = depth - 1 end
        i = j + 1
        if depth == 0 then return i end
      end
    end
  end
  local j = string.find(s, '[,}%] \\t\\n\\r]', pos)
  if j == pos then return nil end
  return j or (#s + 1)
end

-- A JSON object: its entries { name, raw key, raw value }, or nil.
local function js_entries(s)
  if not pcall(cjson.decode, s) then return nil end
  local pos = ${space("s", "1")}
  if pos == nil or string.byte(s, pos) ~= 123 then return nil end
  pos = ${space("s", "pos + 1")}
  if pos == nil then return nil end
  local entries = {}
  if string.byte(s, pos) == 125 then
    pos = pos + 1
  else
    while true do
      if string.byte(s, pos) ~= 34 then return nil end
      local key_end = js_string_end(s, pos)
      if key_end == nil then return nil end
      local raw_key = string.sub(s, pos, key_end - 1)
      local ok, name = pcall(cjson.decode, raw_key)
      if not ok or type(name) ~= 'string' then return nil end
      pos = ${space("s", "key_end")}
      if pos == nil or string.byte(s, pos) ~= 58 then return nil end
      local value = ${space("s", "pos + 1")}
      if value == nil then return nil end
      local after = js_value_end(s, value)
      if after == nil then return nil end
      entries[#entries + 1] = { name, raw_key, string.sub(s, value, after - 1) }
      pos = ${space("s", "after")}
      if pos == nil then return nil end
      local c = string.byte(s, pos)
      if c == 125 then
        pos = pos + 1
        break
      end
      if c ~= 44 then return nil end
      pos = ${space("s", "pos + 1")}
      if pos == nil then return nil end
    end
  end
  if ${space("s", "pos")} ~= nil then return nil end
  return entries
end
`;

/**
 * Lua that reads KEYS[index] into the locals `found`, its serialization ('msgpack' or 'json',
 * by its first byte: JSON opens with `{` or whitespace, a MessagePack map never does), and
 * `entries`, nil when there is no readable session there.
 */
function loadLua(index: number): string {
  return `
local found, entries
if redis.call('TYPE', KEYS[${index}]).ok == 'string' then
  local stored = redis.call('GET', KEYS[${index}])
  local first = string.byte(stored, 1)
  if first == 123 or first == 32 or first == 9 or first == 10 or first == 13 then
    found = 'json'
${JSON_PARSER}
    entries = js_entries(stored)
  else
    found = 'msgpack'
${MSGPACK_PARSER}
    entries = mp_entries(stored)
  end
end
`;
}

/**
 * Lua that applies the patch in ARGV from `first` (a Lua expression) to the local `entries`
 * (the same rules as src/stores/flask-session/entries.ts, which PostgreSQL's layout runs in JS),
 * leaving the entries to store in the local `result`. The patch: clear flag, delete count,
 * deleted names, then name / encoded key / encoded value triples. Changed keys keep their
 * place; new ones go last. A name stored more than once (another client's JSON, or 42 and
 * "42") reads as its last entry: a set writes it once, in the first entry's place, and drops
 * the others; a delete drops them all. Entries the patch does not name keep their bytes,
 * repeats too, so reads still take the last of them.
 */
function patchLua(first: string): string {
  return `
local result = {}
do
  local clear = ARGV[${first}] == '1'
  local deletes = tonumber(ARGV[${first} + 1])
  local dropped = {}
  for i = ${first} + 2, ${first} + 1 + deletes do dropped[ARGV[i]] = true end
  local sets = {}
  for i = ${first} + 2 + deletes, #ARGV, 3 do sets[ARGV[i]] = i end
  for _, entry in ipairs(entries) do
    local name = entry[1]
    local at = sets[name]
    if at then
      result[#result + 1] = { name, ARGV[at + 1], ARGV[at + 2] }
      sets[name] = false
    elseif at == nil and not dropped[name] and (not clear or name == '${PERMANENT_KEY}') then
      result[#result + 1] = entry
    end
  end
  for i = ${first} + 2 + deletes, #ARGV, 3 do
    if sets[ARGV[i]] then result[#result + 1] = { ARGV[i], ARGV[i + 1], ARGV[i + 2] } end
  end
end
`;
}

/**
 * Lua that stores the local `result` in `key` (a Lua expression) in the serialization `format`
 * (a Lua expression) with the TTL in ARGV[ttlArg], or deletes it for a TTL in the past. The TTL
 * goes as the argument's text: a Lua number would reach Redis as "9.007199254741e+15".
 */
function storeLua(key: string, format: string, ttlArg: number): string {
  return `
if tonumber(ARGV[${ttlArg}]) > 0 then
  local parts = {}
  if ${format} == 'json' then
    for i, entry in ipairs(result) do parts[i] = entry[2] .. ':' .. entry[3] end
    parts = { '{', table.concat(parts, ','), '}' }
  else
    local count = #result
    if count < 16 then parts[1] = string.char(0x80 + count)
    elseif count < 65536 then parts[1] = string.char(0xde, math.floor(count / 256), count % 256)
    else
      parts[1] = string.char(0xdf, math.floor(count / 16777216) % 256,
        math.floor(count / 65536) % 256, math.floor(count / 256) % 256, count % 256)
    end
    for _, entry in ipairs(result) do
      parts[#parts + 1] = entry[2]
      parts[#parts + 1] = entry[3]
    end
  end
  redis.call('SET', ${key}, table.concat(parts), 'PX', ARGV[${ttlArg}])
else
  redis.call('DEL', ${key})
end
`;
}

/**
 * KEYS[1] session. ARGV: mustExist ('1'/'0'), ttl ms, serialization ('msgpack'/'json'), the
 * number of entries a new record starts with (0 or 1: `_permanent`) and their triples, then
 * the patch. Returns 1 when written, 0 when mustExist was set and there was no session, -1
 * when the record is in the other serialization (nothing written).
 */
export const FLASK_APPLY = new Script(`${loadLua(1)}
local format = ARGV[3]
local patch = 5 + 3 * tonumber(ARGV[4])
if entries == nil then
  if ARGV[1] == '1' then return 0 end
  entries = {}
  for i = 5, patch - 1, 3 do entries[#entries + 1] = { ARGV[i], ARGV[i + 1], ARGV[i + 2] } end
elseif found ~= format then
  return -1
end
${patchLua("patch")}
${storeLua("KEYS[1]", "format", 2)}
return 1
`);

/**
 * KEYS[1] source, KEYS[2] target. ARGV: ttl ms, serialization, then the patch. Returns 1 when
 * moved, 0 when there was no readable source (nothing changes), -1 when the source is in the
 * other serialization (nothing changes).
 */
export const FLASK_RENAME = new Script(`${loadLua(1)}
if entries == nil then return 0 end
if found ~= ARGV[2] then return -1 end
${patchLua("3")}
redis.call('DEL', KEYS[1])
${storeLua("KEYS[2]", "found", 1)}
return 1
`);

/**
 * Lua that sets the local `owned`: whether the session in KEYS[1] holds one of the user id
 * spellings. ARGV[1] is the session key holding the user id (its last entry counts, as for
 * reads), ARGV[2] how many MessagePack spellings follow (then the JSON ones).
 */
const OWNED = `${loadLua(1)}
local owned = false
if entries ~= nil then
  local user = nil
  for _, entry in ipairs(entries) do
    if entry[1] == ARGV[1] then user = entry[3] end
  end
  if user ~= nil then
    local msgpack = tonumber(ARGV[2])
    local from, to = 3, 2 + msgpack
    if found == 'json' then from, to = 3 + msgpack, #ARGV end
    for i = from, to do
      if user == ARGV[i] then owned = true end
    end
  end
end
`;

/** KEYS[1] session; ARGV as OWNED. Returns its remaining ms when it belongs to the user, else nil. */
export const FLASK_OWNED_BY = new Script(`${OWNED}
if owned then return redis.call('PTTL', KEYS[1]) end
return nil
`);

/** KEYS[1] session; ARGV as OWNED. Deletes the session if it belongs to the user: 1, else 0. */
export const FLASK_DESTROY_IF_OWNED = new Script(`${OWNED}
if owned then return redis.call('DEL', KEYS[1]) end
return 0
`);
