/* decode_pieces.c - the body the cosocket transport read, handed to the
 * decoder as ranges of its socket reads rather than as one Lua string: a
 * Lua string of the body would be a copy made by string.sub and
 * table.concat, hashed and interned, then collected, on every page. */
#include "decode_pieces.h"

#include <string.h>

/* A joined body up to this size reuses one buffer per Lua state (a page is
 * about 6 kB); a larger one gets a buffer of its own, collected later. */
#define SL_SCRATCH_MAX 65536
#define SL_SCRATCH_KEY "shoplive.decode_scratch"

/* Piece k (0-based) of the table at t: its bytes and length. */
static const char *piece(lua_State *L, int t, int arg, int k, size_t *n) {
  size_t slen;
  const char *s;
  lua_Integer first, last;
  lua_rawgeti(L, t, 3 * k + 1);
  lua_rawgeti(L, t, 3 * k + 2);
  lua_rawgeti(L, t, 3 * k + 3);
  s = lua_type(L, -3) == LUA_TSTRING && lua_type(L, -2) == LUA_TNUMBER && lua_type(L, -1) == LUA_TNUMBER
          ? lua_tolstring(L, -3, &slen) : NULL;
  first = lua_tointeger(L, -2);
  last = lua_tointeger(L, -1);
  lua_pop(L, 3); /* s stays valid: the table holds the string */
  if (!s || first < 1 || last < first - 1 || (size_t)last > slen)
    luaL_argerror(L, arg, "pieces must be string, first, last triples within each string");
  *n = (size_t)(last - first + 1);
  return s + first - 1;
}

/* A buffer of at least n bytes: the state's scratch one, or a new one left
 * on the stack (it must outlive the decode). */
static char *buffer(lua_State *L, size_t n) {
  char *b;
  if (n > SL_SCRATCH_MAX) return (char *)sl_newuserdata(L, n);
  lua_getfield(L, LUA_REGISTRYINDEX, SL_SCRATCH_KEY);
  b = (char *)lua_touserdata(L, -1);
  lua_pop(L, 1); /* the registry keeps it */
  if (!b) {
    b = (char *)sl_newuserdata(L, SL_SCRATCH_MAX);
    lua_setfield(L, LUA_REGISTRYINDEX, SL_SCRATCH_KEY);
  }
  return b;
}

/* The pieces in the table at t: triples up to the first absent string. */
static int count(lua_State *L, int t) {
  int k = 0;
  for (;;) {
    int more;
    lua_rawgeti(L, t, 3 * k + 1);
    more = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (!more) return k;
    k++;
  }
}

const char *sl_decode_text(lua_State *L, int arg, size_t *len) {
  int t = arg, k, np;
  size_t total = 0, n, at = 0;
  char *b;
  if (!lua_istable(L, arg)) return luaL_checklstring(L, arg, len);
  np = count(L, t);
  if (np == 1) return piece(L, t, arg, 0, len);
  for (k = 0; k < np; k++) {
    piece(L, t, arg, k, &n);
    total += n;
  }
  b = buffer(L, total);
  for (k = 0; k < np; k++) {
    const char *s = piece(L, t, arg, k, &n);
    memcpy(b + at, s, n);
    at += n;
  }
  *len = total;
  return b;
}
