#ifndef SHOPLIVE_DECODE_LUA_H
#define SHOPLIVE_DECODE_LUA_H
#include "compat.h"
/* Add the decoder functions to the table on top of the stack. */
void sl_decode_register(lua_State *L);
/* Optional max_records argument at index arg (absent or 0 = no limit). */
int sl_opt_max_records(lua_State *L, int arg);
#endif
