/* host.c - a C program embedding Lua 5.4 the way a game or automation host
 * does: a 60 Hz loop that calls a Lua tick() once per frame. The script
 * (fetch.lua) fetches a whole shop in the background with shoplive's
 * start()/poll(0), so each tick only does non-blocking work.
 *
 *   host SCRIPT SELLER_ID [MAX_SECONDS]
 * Prints: frames N, late N, worst tick X ms, records N
 * A frame is late when the loop misses its 16.7 ms deadline.
 */
#define _POSIX_C_SOURCE 200809L
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t) {
  double d = t - now();
  if (d <= 0) return;
  struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SCRIPT SELLER_ID [MAX_SECONDS]\n", argv[0]);
    return 2;
  }
  double max_seconds = argc > 3 ? atof(argv[3]) : 30;
  const double frame = 1.0 / 60;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadfile(L, argv[1]) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_pushstring(L, argv[2]);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) { /* the script returns its tick function */
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  int tick = luaL_ref(L, LUA_REGISTRYINDEX);

  long frames = 0, late = 0;
  lua_Integer records = 0;
  double worst = 0, start = now(), next = start + frame;
  int done = 0;
  while (!done && now() - start < max_seconds) {
    double t0 = now();
    lua_rawgeti(L, LUA_REGISTRYINDEX, tick);
    if (lua_pcall(L, 0, 2, 0) != LUA_OK) {
      fprintf(stderr, "tick failed: %s\n", lua_tostring(L, -1));
      return 1;
    }
    double dt = now() - t0;
    if (dt > worst) worst = dt;
    done = lua_toboolean(L, -2);
    records = lua_tointeger(L, -1);
    lua_pop(L, 2);
    frames++;
    if (now() > next) late++;
    sleep_until(next);
    next += frame;
  }
  printf("frames %ld, late %ld, worst tick %.3f ms, records %lld\n", frames, late, worst * 1000, (long long)records);
  luaL_unref(L, LUA_REGISTRYINDEX, tick);
  lua_close(L);
  return done ? 0 : 1;
}
