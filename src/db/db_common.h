/* db_common.h - the Lua side the database bindings (sqlite3.c, libpq.c)
 * share: their classes and the objects made from them. Lua only (through
 * compat.h), so either binding builds without the other's library. */
#ifndef SHOPLIVE_DB_COMMON_H
#define SHOPLIVE_DB_COMMON_H

#include "../compat.h"

#include <string.h>

/* Registers class `name`: methods as __index, and `close` (idempotent) as
 * both __gc and __close, so a handle is released by whichever comes first. */
static inline void sl_db_newclass(lua_State *L, const char *name, const luaL_Reg *methods,
                                  lua_CFunction close) {
  luaL_newmetatable(L, name);
  sl_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}

/* Pushes a new object of class `name` (size bytes) and returns it. It is
 * zeroed before it gets its metatable: __gc only ever sees NULL handles or
 * ones the caller stored. */
static inline void *sl_db_newobject(lua_State *L, size_t size, const char *name) {
  void *p = sl_newuserdata(L, size);
  memset(p, 0, size);
  luaL_getmetatable(L, name);
  lua_setmetatable(L, -2);
  return p;
}

#endif
