/* db_common.h - the Lua side the database bindings (sqlite3.c, libpq.c)
 * share: their classes and the objects made from them. Lua only (through
 * compat.h), so either binding builds without the other's library. */
#ifndef SHOPLIVE_DB_COMMON_H
#define SHOPLIVE_DB_COMMON_H

#include "../compat.h"

#include <string.h>
#include <time.h>

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

/* Milliseconds on the monotonic clock: deadlines that a change of the wall
 * clock cannot move. */
static inline double sl_db_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static inline void sl_db_unref(lua_State *L, int *ref) {
  if (*ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, *ref);
  *ref = LUA_NOREF;
}

/* db:set_interrupt(fn | nil): keep fn (the store's `interrupt` option) in
 * the registry under *ref, replacing the one before. */
static inline void sl_db_setref(lua_State *L, int *ref, int idx) {
  sl_db_unref(L, ref);
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TFUNCTION);
  lua_pushvalue(L, idx);
  *ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* True when the interrupt function under ref says to stop waiting. Called
 * from inside a wait (SQLite's busy handler, libpq's poll loop), so it never
 * raises: the call is protected, and a function that fails counts as "stop"
 * (a wait nobody can end is the failure this exists to prevent). */
static inline int sl_db_interrupted(lua_State *L, int ref) {
  int stop;
  if (L == NULL || ref == LUA_NOREF) return 0;
  if (!lua_checkstack(L, 2)) return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  if (lua_pcall(L, 0, 1, 0) != 0) stop = 1;
  else stop = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return stop;
}

#endif
