/* core.c - luaopen_shoplive_core: assembles the C core's module table. */
#include "compat.h"
#include "decode_lua.h"
#include "http.h"
#include "sys.h"

#ifndef SHOPLIVE_VISIBLE
#define SHOPLIVE_VISIBLE __attribute__((visibility("default")))
#endif

SHOPLIVE_VISIBLE int luaopen_shoplive_core(lua_State *L);
SHOPLIVE_VISIBLE int luaopen_shoplive_core(lua_State *L) {
  lua_newtable(L);
  sl_decode_register(L);
  sl_http_register(L);
  sl_sys_register(L);
  return 1;
}
