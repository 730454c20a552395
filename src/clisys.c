/* clisys.c - luaopen_shoplive_clisys: what the command line needs from the
 * OS beyond stdio: SIGINT as a counter it polls, and the kind of file a path
 * names. A module of its own (build/<V>/shoplive/clisys.so), loaded by the
 * command line only: a library user (an OpenResty worker) never gets a
 * SIGINT handler or these functions with require("shoplive").
 *
 * The handler only increments a sig_atomic_t: it is async-signal-safe and
 * never touches Lua (the stock interpreter's own handler raises a Lua error
 * from a hook, which lands in whatever coroutine runs and ends in a
 * traceback). It is installed without SA_RESTART, so a poll() inside
 * curl_multi_poll returns at once and the client's loop sees the count.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clisys.h"

static volatile sig_atomic_t sigint_count;
static struct sigaction sigint_previous;
static int sigint_installed;

static void on_sigint(int sig) {
  (void)sig;
  if (sigint_count < 1000) sigint_count++;
}

/* clisys.sigint_catch(): count SIGINTs from now on (resets the count). */
static int l_sigint_catch(lua_State *L) {
  struct sigaction sa;
  sigint_count = 0;
  if (!sigint_installed) {
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGINT, &sa, &sigint_previous) != 0) {
      lua_pushnil(L);
      lua_pushstring(L, strerror(errno));
      return 2;
    }
    sigint_installed = 1;
  }
  lua_pushboolean(L, 1);
  return 1;
}

int sl_clisys_sigint_count(void) {
  return (int)sigint_count;
}

/* clisys.sigint_count(): SIGINTs received since sigint_catch(). */
static int l_sigint_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)sl_clisys_sigint_count());
  return 1;
}

/* clisys.sigint_release(): put back the handler that was there before. */
static int l_sigint_release(lua_State *L) {
  if (sigint_installed) {
    sigaction(SIGINT, &sigint_previous, NULL);
    sigint_installed = 0;
  }
  (void)L;
  return 0;
}

/* clisys.sigint_sleep(seconds): sleep, but return early once a SIGINT came. */
static int l_sigint_sleep(lua_State *L) {
  double s = luaL_checknumber(L, 1);
  struct timespec ts, rem;
  if (!(s > 0)) return 0;
  if (s > 86400.0) s = 86400.0;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  if (ts.tv_nsec > 999999999L) ts.tv_nsec = 999999999L;
  while (sigint_count == 0 && nanosleep(&ts, &rem) == -1 && errno == EINTR) ts = rem;
  return 0;
}

/* clisys.file_kind(path): "file", "directory" or "other" (a device, FIFO or
 * socket: -o /dev/stdout must be written in place, never replaced by a
 * rename), or nil when the path names nothing. Follows symlinks. */
static int l_file_kind(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  if (stat(path, &st) != 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "directory" : "other");
  return 1;
}

#ifndef SHOPLIVE_VISIBLE
#define SHOPLIVE_VISIBLE __attribute__((visibility("default")))
#endif

SHOPLIVE_VISIBLE int luaopen_shoplive_clisys(lua_State *L);
SHOPLIVE_VISIBLE int luaopen_shoplive_clisys(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"sigint_catch", l_sigint_catch}, {"sigint_count", l_sigint_count},
    {"sigint_release", l_sigint_release}, {"sigint_sleep", l_sigint_sleep},
    {"file_kind", l_file_kind},
    {NULL, NULL}};
  sl_newlib(L, funcs);
  return 1;
}
