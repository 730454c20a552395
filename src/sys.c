/* sys.c - process helpers of the core: a monotonic clock, a sleep, HTTP-date
 * parsing (for Retry-After) and the terminal queries of the CLI. None of them
 * touches a client, so they live apart from the transfer engine. */
#include <curl/curl.h>
#include <errno.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sys.h"

/* core.now() -> seconds on a monotonic clock */
static int l_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + ts.tv_nsec / 1e9);
  return 1;
}

/* Longest single sleep: time_t holds it on every platform (a larger double
 * would convert with undefined behaviour, and in practice made nanosleep
 * fail at once, so a caller looping on it spun). */
#define SL_SLEEP_MAX 2147483647.0

/* core.sleep(seconds): blocks the thread; NaN, 0 and negatives return at once. */
static int l_sleep(lua_State *L) {
  double s = luaL_checknumber(L, 1);
  if (s > SL_SLEEP_MAX) s = SL_SLEEP_MAX;
  if (s > 0) {
    struct timespec ts, rem;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &rem) == -1 && errno == EINTR) ts = rem;
  }
  return 0;
}

/* core.isatty(fd) -> boolean (the CLI shows progress only on a terminal) */
static int l_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)) == 1);
  return 1;
}

/* core.term_columns(fd) -> columns of the terminal on fd, or nil (the CLI
 * fits its table to it; COLUMNS is not exported to child processes). */
static int l_term_columns(lua_State *L) {
  struct winsize ws;
  if (ioctl((int)luaL_checkinteger(L, 1), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    lua_pushinteger(L, ws.ws_col);
  else
    lua_pushnil(L);
  return 1;
}

/* core.getdate(http_date) -> epoch seconds | nil (libcurl's parser, which
 * knows the three date formats RFC 9110 allows) */
static int l_getdate(lua_State *L) {
  time_t t = curl_getdate(luaL_checkstring(L, 1), NULL);
  if (t == (time_t)-1) lua_pushnil(L);
  else lua_pushnumber(L, (lua_Number)t);
  return 1;
}

static const luaL_Reg sys_funcs[] = {
  {"now", l_now},         {"sleep", l_sleep},   {"getdate", l_getdate},
  {"isatty", l_isatty},   {"term_columns", l_term_columns},
  {NULL, NULL}
};

void sl_sys_register(lua_State *L) { sl_setfuncs(L, sys_funcs); }
