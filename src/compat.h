/* compat.h - the only place that knows which Lua C API version we build for.
 *
 * The core targets Lua 5.4 first but must also build for 5.1, 5.2, 5.3 and
 * LuaJIT 2.1 (OpenResty). Every version-specific call goes through a macro or
 * static function defined here, so the rest of src/ reads as plain 5.4 code.
 */
#ifndef SHOPLIVE_COMPAT_H
#define SHOPLIVE_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM >= 503
/* Lua has a 64-bit integer subtype: JSON integers map onto it exactly. */
#define SL_HAS_INT64 1
#else
#define SL_HAS_INT64 0
#endif

#if LUA_VERSION_NUM < 502
#define sl_setfuncs(L, l) luaL_register((L), NULL, (l))
#define sl_setuservalue(L, i) lua_setfenv((L), (i))
#else
#define sl_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#endif

/* A new table holding the functions of l (works for arrays passed by pointer). */
#define sl_newlib(L, l) (lua_newtable(L), sl_setfuncs((L), (l)))

#if LUA_VERSION_NUM >= 504
#define sl_newuserdata(L, sz) lua_newuserdatauv((L), (sz), 1)
#define sl_setuservalue(L, i) ((void)lua_setiuservalue((L), (i), 1))
#elif LUA_VERSION_NUM >= 502
#define sl_newuserdata(L, sz) lua_newuserdata((L), (sz))
#define sl_setuservalue(L, i) lua_setuservalue((L), (i))
#else
#define sl_newuserdata(L, sz) lua_newuserdata((L), (sz))
#endif

/* Convert a string that is a valid number (JSON grammar already checked) to a
 * Lua number. lua_stringtonumber (5.3+) copes with the C locale's decimal
 * point; 5.1/5.2 fall back to lua_tonumber on a pushed string. Pushes the
 * number and returns 1, or pushes nothing and returns 0. */
#if LUA_VERSION_NUM >= 503
#define sl_stringtonumber(L, s) (lua_stringtonumber((L), (s)) != 0)
#else
static inline int sl_stringtonumber(lua_State *L, const char *s) {
  lua_pushstring(L, s);
  if (!lua_isnumber(L, -1)) { lua_pop(L, 1); return 0; }
  lua_pushnumber(L, lua_tonumber(L, -1));
  lua_remove(L, -2);
  return 1;
}
#endif

#endif
