/* dbval.h - the int64 mapping shared by the database bindings, the same one
 * the JSON decoder uses (src/json.c):
 *   Lua 5.3+: an integer subtype value <-> int64, exactly; floats stay floats.
 *   Lua 5.1/5.2/LuaJIT (doubles only): an integral number binds as int64; an
 *   int64 read back with |v| <= 2^53 is a number, a larger one a STRING of its
 *   exact digits, never a silently rounded number. */
#ifndef SHOPLIVE_DBVAL_H
#define SHOPLIVE_DBVAL_H

#include "../compat.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* True (and *out set) when the number at i is to be bound as an int64. */
static inline int sl_db_toint64(lua_State *L, int i, int64_t *out) {
#if SL_HAS_INT64
  if (lua_isinteger(L, i)) {
    *out = (int64_t)lua_tointeger(L, i);
    return 1;
  }
  return 0;
#else
  lua_Number v = lua_tonumber(L, i);
  if (v == floor(v) && v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
    *out = (int64_t)v;
    return 1;
  }
  return 0;
#endif
}

static inline void sl_db_pushint64(lua_State *L, int64_t v) {
#if SL_HAS_INT64
  lua_pushinteger(L, (lua_Integer)v);
#else
  if (v >= -((int64_t)1 << 53) && v <= ((int64_t)1 << 53)) {
    lua_pushnumber(L, (lua_Number)v);
  } else {
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    lua_pushstring(L, buf);
  }
#endif
}

#endif
