/* http.h - the transfer engine: one libcurl multi handle per client, every
 * request an easy handle driven by it (single requests too, so the blocking,
 * concurrent and non-blocking paths share one mechanism and one connection
 * pool).
 *
 * Ownership: every malloc'd object and libcurl handle is owned by a userdata
 * (client or transfer) whose __gc frees it, so a Lua error raised at any point
 * leaks nothing. libcurl callbacks never call into Lua.
 */
#ifndef SHOPLIVE_HTTP_H
#define SHOPLIVE_HTTP_H

#include "compat.h"

#define SL_CLIENT_MT "shoplive.core.client"
#define SL_XFER_MT "shoplive.core.transfer"

/* Add core.client and core.curl_version to the table on top of the stack and
 * create the metatables. */
void sl_http_register(lua_State *L);

#endif
