/* decode_lua.c - Lua bindings of the JSON decoder (core.decode_response,
 * core.json_decode). Both take a Lua string and never raise for bad JSON:
 * they return nil, message. */
#include "decode_lua.h"
#include "json.h"

/* core.decode_response(body) -> resp | nil, msg */
static int l_decode_response(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char err[160];
  if (sl_json_push_response(L, s, len, err, sizeof err)) return 1;
  lua_pushnil(L);
  lua_pushstring(L, err);
  return 2;
}

/* core.json_decode(text) -> value | nil, msg  (null -> nil, so a literal
 * "null" also gives nil with no message) */
static int l_json_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char err[160];
  if (sl_json_push_value(L, s, len, err, sizeof err)) return 1;
  lua_pushnil(L);
  lua_pushstring(L, err);
  return 2;
}

static const luaL_Reg decode_funcs[] = {
  {"decode_response", l_decode_response},
  {"json_decode", l_json_decode},
  {NULL, NULL}
};

void sl_decode_register(lua_State *L) { sl_setfuncs(L, decode_funcs); }
