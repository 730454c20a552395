#ifndef SHOPLIVE_DECODE_LUA_H
#define SHOPLIVE_DECODE_LUA_H
#include "compat.h"
/* Add the decoder functions to the table on top of the stack. */
void sl_decode_register(lua_State *L);
#endif
