/* decode_lua.c - Lua bindings of the JSON decoder (core.decode_response,
 * core.json_decode). Both take a Lua string and never raise for bad JSON:
 * they return nil, message. */
#include "decode_lua.h"
#include "decode_pieces.h"
#include "json.h"

#include <limits.h>

int sl_opt_max_records(lua_State *L, int arg) {
  lua_Number n = luaL_optnumber(L, arg, 0);
  if (!(n >= 0)) luaL_argerror(L, arg, "max_records must be >= 0");
  return n >= (lua_Number)INT_MAX ? INT_MAX : (int)n;
}

int sl_decode_results(lua_State *L, int r, const char *err) {
  if (r == SL_JSON_OK) return 1;
  lua_pushnil(L);
  lua_pushstring(L, err);
  if (r == SL_JSON_TOO_MANY) {
    lua_pushliteral(L, "records");
    return 3;
  }
  return 2;
}

/* core.decode_response(body [, max_records]) -> resp | nil, msg [, "records"]
 * (body: a string, or pieces of strings, see sl_decode_text: the cosocket
 * transport hands over its socket reads uncopied. max_records: refuse a
 * data array longer than that while decoding; 0 or absent = no limit; the
 * third value marks that refusal) */
static int l_decode_response(lua_State *L) {
  size_t len;
  const char *s;
  int max_records = sl_opt_max_records(L, 2);
  char err[160];
  lua_settop(L, 2); /* a joined body's own buffer goes above the arguments */
  s = sl_decode_text(L, 1, &len);
  return sl_decode_results(L, sl_json_push_response(L, s, len, max_records, err, sizeof err), err);
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
