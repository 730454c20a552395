#ifndef SHOPLIVE_DECODE_LUA_H
#define SHOPLIVE_DECODE_LUA_H
#include "compat.h"
/* Add the decoder functions to the table on top of the stack. */
void sl_decode_register(lua_State *L);
/* Optional max_records argument at index arg (absent or 0 = no limit). */
int sl_opt_max_records(lua_State *L, int arg);
/* What a decode_response binding returns for sl_json_push_response's
 * result r (the page already pushed, or nil, err [, "records"]); its count. */
int sl_decode_results(lua_State *L, int r, const char *err);
#endif
