/* fuzz_decode.c - libFuzzer target for the JSON decoder and shoplive.decode.
 *
 * Every input is fed, as a response body, through
 *   1. sl_json_push_response   (C, straight from libFuzzer's exact-size buffer,
 *                               so ASan sees any over-read by even one byte)
 *   2. sl_json_push_value      (C, same buffer, with a small exact-size error
 *                               buffer so a message overrun is caught too)
 *   3. shoplive.decode(body)   (the Lua layer: core.decode_response +
 *                               response.page_from_resp)
 * each inside lua_pcall, so a Lua memory error is an allowed outcome and never
 * a crash. Any other outcome that breaks an invariant calls abort(), which
 * libFuzzer reports as a crash and saves the input.
 *
 * Invariants checked:
 *   C:   return 1 -> exactly one value pushed; return 0 -> nothing pushed and
 *        a non-empty, NUL-terminated message "... at byte N" with
 *        1 <= N <= len + 1; no Lua error other than a memory error.
 *   resp: a table; data_type is one of the documented strings; records is a
 *        table exactly when data_type == "array", a sequence 1..n of tables
 *        with no other keys; code/message/request_id are JSON values.
 *   value vs response (differential): a response decodes iff the value
 *        decodes, is an object, and its "data" (if an array) holds only
 *        objects; then #records == #data, every field that has no schema
 *        type is equal in both decodes, and an integer field's exact integer
 *        rounds to the very float the generic decode gives.
 *   Lua: shoplive.decode returns (page) with page.records a sequence of
 *        tables, or (nil, err) with err an err object whose tostring is a
 *        string; it never raises except for a memory error.
 *
 * The lua_State lives for SL_FUZZ_STATE_RUNS inputs, then is closed (running
 * every finalizer) and recreated, so state growth and lua_close are covered.
 *
 * Build: see mk/robustness.mk (make fuzz / make fuzz-regress). The Lua layer
 * is loaded from $SHOPLIVE_LUA_DIR, else from the compile-time
 * SHOPLIVE_LUA_DIR (the repo's lua/ directory).
 */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/json.h"

#ifndef SHOPLIVE_LUA_DIR
#define SHOPLIVE_LUA_DIR "lua"
#endif
#define SL_FUZZ_STATE_RUNS 5000

int luaopen_shoplive_core(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static lua_State *GL;
static int runs_in_state;
static const uint8_t *in_data;
static size_t in_size;

static void die(const char *what, const char *detail) {
  fprintf(stderr, "fuzz_decode: INVARIANT BROKEN: %s%s%s\n", what,
          detail ? ": " : "", detail ? detail : "");
  abort();
}

/* Lua-side checks (compiled once per state). Receives the body, the
 * response decode (resp | nil, msg) and the value decode (value | nil, msg)
 * plus the shoplive.decode results; raises a string on a broken invariant. */
static const char checker_src[] =
  "local decode = ...\n"
  "local DT = { array = true, null = true, missing = true, object = true,\n"
  "             string = true, number = true, boolean = true }\n"
  "local TYPED = { room_id = true, seller_id = true, user_id = true,\n"
  "  create_time = true, duration = true, finish_time = true, max_views_cnt = true,\n"
  "  total_joins_cnt = true, total_sale_cnt = true, total_sale_gmv_amt = true,\n"
  "  total_views_cnt = true }\n"
  "local INTF = { create_time = true, duration = true, finish_time = true, max_views_cnt = true,\n"
  "  total_joins_cnt = true, total_sale_cnt = true, total_sale_gmv_amt = true, total_views_cnt = true }\n"
  "local function fail(m) error('invariant: ' .. m, 0) end\n"
  "local function same(a, b)\n"
  "  if a == b then return true end\n"
  "  if type(a) ~= 'table' or type(b) ~= 'table' then return false end\n"
  "  for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"
  "  for k in pairs(b) do if a[k] == nil then return false end end\n"
  "  return true\n"
  "end\n"
  "local function is_seq_of_tables(t)\n"
  "  local n = #t\n"
  "  local count = 0\n"
  "  for k, v in pairs(t) do\n"
  "    count = count + 1\n"
  "    if math.type(k) ~= 'integer' or k < 1 or k > n then return false end\n"
  "    if type(v) ~= 'table' then return false end\n"
  "  end\n"
  "  return count == n\n"
  "end\n"
  "-- shoplive.decode's results\n"
  "local function check_page(resp, page, perr)\n"
  "  if page ~= nil then\n"
  "    if perr ~= nil then fail('page and err both set') end\n"
  "    if type(page) ~= 'table' or type(page.records) ~= 'table' then fail('page without records') end\n"
  "    if not is_seq_of_tables(page.records) then fail('page.records not a sequence of tables') end\n"
  "    if resp == nil then fail('page from an undecodable body') end\n"
  "  else\n"
  "    if type(perr) ~= 'table' or type(tostring(perr)) ~= 'string' then fail('nil without an err object') end\n"
  "    if perr.kind ~= 'decode' and perr.kind ~= 'api' then fail('err kind ' .. tostring(perr.kind)) end\n"
  "    if type(perr.message) ~= 'string' then fail('err.message is a ' .. type(perr.message)) end\n"
  "    if resp == nil and perr.kind ~= 'decode' then fail('api err from an undecodable body') end\n"
  "  end\n"
  "end\n"
  "return function(body, resp, rmsg, val, vmsg, vok, page, perr)\n"
  "  if resp ~= nil then\n"
  "    if type(resp) ~= 'table' then fail('resp is a ' .. type(resp)) end\n"
  "    if not DT[resp.data_type] then fail('bad data_type ' .. tostring(resp.data_type)) end\n"
  "    if (resp.data_type == 'array') ~= (type(resp.records) == 'table') then\n"
  "      fail('records present iff data is an array') end\n"
  "    if resp.records and not is_seq_of_tables(resp.records) then fail('records not a sequence of tables') end\n"
  "    for k in pairs(resp) do\n"
  "      if k ~= 'code' and k ~= 'message' and k ~= 'request_id' and k ~= 'records' and k ~= 'data_type'\n"
  "         and k ~= 'repaired' then\n"
  "        fail('unexpected resp key ' .. tostring(k)) end\n"
  "    end\n"
  "    -- repaired: a count >= 1 and at most 64 notes, each naming a field\n"
  "    local rp = resp.repaired\n"
  "    if rp ~= nil then\n"
  "      if type(rp) ~= 'table' or type(rp.count) ~= 'number' or rp.count < 1 then fail('bad repaired') end\n"
  "      if type(rp.fields) ~= 'table' or #rp.fields > 64 or #rp.fields > rp.count then fail('bad repaired.fields') end\n"
  "      for _, f in ipairs(rp.fields) do\n"
  "        if type(f.field) ~= 'string' or type(f.reason) ~= 'string' then fail('bad repair note') end\n"
  "        if f.record ~= nil and math.type(f.record) ~= 'integer' then fail('bad repair note record') end\n"
  "      end\n"
  "    end\n"
  "    -- Both decoders repair the same way (U+FFFD, out-of-range numbers as\n"
  "    -- their literal), so a response always decodes as a value too.\n"
  "    if not vok then fail('response decoded but value did not: ' .. tostring(vmsg)) end\n"
  "    if vok and type(val) ~= 'table' then fail('response decoded but value is not a table') end\n"
  "    if not vok then return check_page(resp, page, perr) end\n"
  "    if not same(resp.code, val.code) or not same(resp.message, val.message)\n"
  "       or not same(resp.request_id, val.requestId) then fail('top-level fields differ') end\n"
  "    if resp.records then\n"
  "      local data = val.data\n"
  "      if type(data) ~= 'table' or #data ~= #resp.records then fail('#records ~= #data') end\n"
  "      for i, r in ipairs(resp.records) do\n"
  "        local v = data[i]\n"
  "        for k, x in pairs(r) do\n"
  "          if not TYPED[k] and not same(x, v[k]) then fail('field ' .. tostring(k) .. ' differs in record ' .. i) end\n"
  "          if TYPED[k] and type(v[k]) ~= 'number' and not same(x, v[k]) then\n"
  "            fail('non-number typed field ' .. tostring(k) .. ' differs') end\n"
  "          if TYPED[k] and type(v[k]) == 'number' and type(x) ~= 'number' and type(x) ~= 'string' then\n"
  "            fail('typed field ' .. k .. ' became a ' .. type(x)) end\n"
  "          -- an exact integer from float syntax must round to the generic float\n"
  "          if INTF[k] and math.type(x) == 'integer' and math.type(v[k]) == 'float' and x + 0.0 ~= v[k] then\n"
  "            fail(('integer field %s: exact %d but the literal is %.17g'):format(k, x, v[k])) end\n"
  "          if INTF[k] and type(x) == 'number' and type(v[k]) == 'number' and x ~= v[k] and x + 0.0 ~= v[k] + 0.0 then\n"
  "            fail(('integer field %s: %s vs %s'):format(k, tostring(x), tostring(v[k]))) end\n"
  "        end\n"
  "        for k in pairs(v) do if r[k] == nil then fail('field ' .. tostring(k) .. ' lost') end end\n"
  "      end\n"
  "    end\n"
  "  else\n"
  "    if type(rmsg) ~= 'string' or rmsg == '' then fail('no message for a failed response decode') end\n"
  "    if vok and type(val) == 'table' and body:match('^[ \\t\\r\\n]*{') then\n"
  "      -- a valid object fails as a response only for a non-object record\n"
  "      if not rmsg:find('^data%[%d+%] is not an object at byte %d+$') then\n"
  "        fail('valid object rejected as a response: ' .. rmsg) end\n"
  "    end\n"
  "  end\n"
  "  if not vok and (type(vmsg) ~= 'string' or vmsg == '') then fail('no message for a failed value decode') end\n"
  "  return check_page(resp, page, perr)\n"
  "end\n";

/* Check a decoder message: non-empty, NUL-terminated within cap, and
 * "... at byte N" with 1 <= N <= size + 1. */
static void check_msg(const char *err, size_t cap, const char *who) {
  size_t n = strnlen(err, cap);
  if (n == cap) die(who, "error message not NUL-terminated");
  if (n == 0) die(who, "empty error message");
  if (n == cap - 1) return; /* truncated to the buffer (snprintf semantics) */
  const char *at = NULL, *s = err;
  while ((s = strstr(s, " at byte ")) != NULL) at = s++;
  if (at == NULL) die(who, err);
  char *end;
  unsigned long pos = strtoul(at + 9, &end, 10);
  if (*end != '\0') die(who, err);
  if (pos < 1 || pos > in_size + 1) die(who, err);
}

/* Protected: run the two C decoders, leave 6 values for the checker:
 * resp|nil, rmsg|nil, value|nil, vmsg|nil, vok. */
static int run_c_decoders(lua_State *L) {
  int top = lua_gettop(L);
  char rerr[160];
  memset(rerr, 'x', sizeof rerr);
  if (sl_json_push_response(L, (const char *)in_data, in_size, 0, rerr, sizeof rerr)) {
    if (lua_gettop(L) != top + 1) die("push_response", "returned 1 but stack moved by != 1");
    if (!lua_istable(L, -1)) die("push_response", "returned 1 but pushed a non-table");
    lua_pushnil(L);
  } else {
    if (lua_gettop(L) != top) die("push_response", "returned 0 but stack not restored");
    check_msg(rerr, sizeof rerr, "push_response");
    lua_pushnil(L);
    lua_pushstring(L, rerr);
  }
  /* A small, exact-size heap buffer for the message: ASan catches an overrun. */
  enum { VCAP = 24 };
  char *verr = malloc(VCAP);
  if (verr == NULL) abort();
  memset(verr, 'x', VCAP);
  int vtop = lua_gettop(L);
  int vok = sl_json_push_value(L, (const char *)in_data, in_size, verr, VCAP);
  if (vok) {
    if (lua_gettop(L) != vtop + 1) { free(verr); die("push_value", "returned 1 but stack moved by != 1"); }
    lua_pushnil(L);
  } else {
    if (lua_gettop(L) != vtop) { free(verr); die("push_value", "returned 0 but stack not restored"); }
    check_msg(verr, VCAP, "push_value");
    lua_pushnil(L);
    lua_pushstring(L, verr);
  }
  free(verr);
  lua_pushboolean(L, vok);
  return 5;
}

/* Protected: body -> shoplive.decode(body) -> 2 results. Upvalue 1: decode. */
static int run_lua_decode(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushlstring(L, (const char *)in_data, in_size);
  lua_call(L, 1, 2);
  return 2;
}

/* Protected: build the checker and shoplive.decode into the registry. */
static int setup(lua_State *L) {
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_shoplive_core);
  lua_setfield(L, -2, "shoplive.core");
  lua_pop(L, 1);
  const char *dir = getenv("SHOPLIVE_LUA_DIR");
  if (dir == NULL || *dir == '\0') dir = SHOPLIVE_LUA_DIR;
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", dir, dir);
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "shoplive");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "decode");
  if (!lua_isfunction(L, -1)) luaL_error(L, "shoplive.decode is not a function");
  lua_pushcclosure(L, run_lua_decode, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.lua_decode");
  if (luaL_loadbuffer(L, checker_src, sizeof checker_src - 1, "=checker") != LUA_OK) lua_error(L);
  lua_call(L, 0, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.check");
  lua_settop(L, 0);
  return 0;
}

static void new_state(void) {
  GL = luaL_newstate();
  if (GL == NULL) die("setup", "luaL_newstate failed");
  lua_pushcfunction(GL, setup);
  if (lua_pcall(GL, 0, 0, 0) != LUA_OK) die("setup", lua_tostring(GL, -1));
  runs_in_state = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  new_state();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = GL;
  int st;
  in_data = data;
  in_size = size;
  if (lua_gettop(L) != 0) die("harness", "stack not empty between inputs");

  /* checker, body, then the 5 C results, then the 2 Lua results */
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.check");
  lua_pushcfunction(L, run_c_decoders);
  st = lua_pcall(L, 0, 5, 0);
  if (st == LUA_ERRMEM) goto memerr;
  if (st != LUA_OK) die("C decoders raised", lua_tostring(L, -1));
  if (lua_gettop(L) != 6) die("harness", "C decoders left a wrong stack");

  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.lua_decode");
  st = lua_pcall(L, 0, 2, 0);
  if (st == LUA_ERRMEM) goto memerr;
  if (st != LUA_OK) die("shoplive.decode raised", lua_tostring(L, -1));
  if (lua_gettop(L) != 8) die("harness", "shoplive.decode left a wrong stack");

  /* checker(body, resp, rmsg, val, vmsg, vok, page, err) */
  if (!lua_checkstack(L, 2)) die("harness", "no stack");
  lua_pushlstring(L, (const char *)data, size);
  lua_insert(L, 2);
  st = lua_pcall(L, 8, 0, 0);
  if (st == LUA_ERRMEM) goto memerr;
  if (st != LUA_OK) die("checker", lua_tostring(L, -1));
  if (lua_gettop(L) != 0) die("harness", "checker left the stack unbalanced");
  goto next;
memerr:
  lua_settop(L, 0);
next:
  if (++runs_in_state >= SL_FUZZ_STATE_RUNS) {
    lua_close(GL); /* every finalizer runs; LSan checks the rest at exit */
    new_state();
  }
  return 0;
}
