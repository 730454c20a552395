/* json.c - strict RFC 8259 JSON decoder that pushes Lua values directly.
 *
 * One pass, recursive descent with a hard depth bound (SL_JSON_MAX_DEPTH), no
 * intermediate tree and no malloc: the only memory it takes is the Lua values
 * it pushes (plus a luaL_Buffer for strings that contain escapes). The only
 * error it can raise is a Lua memory error; every decode error is returned as
 * 0 + a one-line message "<what> at byte N" (N is 1-based), with the Lua stack
 * restored to its height on entry.
 *
 * Stack use: one parse_value + parse_array/parse_object frame per nesting
 * level (well under 200 bytes each on x86-64), so 64 levels fit easily in a
 * 128 KiB thread stack. The large luaL_Buffer lives only in the leaf function
 * parse_string_escaped (kept out of line), never in a recursive frame.
 *
 * Value mapping:
 *   object -> table (duplicate keys: the last one wins; a key whose value is
 *             null is left unset, or removed if an earlier duplicate set it)
 *   array  -> table 1..n (null elements leave a hole; later elements keep
 *             their JSON index)
 *   string -> string, byte-exact (\u0000 gives an embedded NUL)
 *   number -> see parse_number
 *   true/false -> boolean, null -> nil
 *
 * Strings: raw bytes >= 0x80 are checked as UTF-8 (RFC 3629: no overlongs,
 * no UTF-8-encoded surrogates, nothing above U+10FFFF, no truncated
 * sequences); each byte that does not start a well-formed sequence becomes
 * U+FFFD (EF BF BD) and counts as a repair. Raw control characters are errors
 * (they break the JSON grammar, not just one value). A \uD800-\uDBFF escape
 * followed by a \uDC00-\uDFFF escape becomes one 4-byte character. A lone or
 * unpaired surrogate escape becomes U+FFFD too. One seller's broken nickname
 * must not cost a paid page of records.
 *
 * Numbers (grammar validated first; no NaN/Infinity/hex/'+'/leading zeros):
 *   Lua 5.3+ (SL_HAS_INT64): integer syntax that fits int64 -> exact integer;
 *     integer syntax beyond int64 -> the float it is (never clamped or
 *     wrapped); fraction/exponent syntax -> float via sl_stringtonumber; a
 *     literal whose value is beyond a double (1e400) -> a STRING of the
 *     literal, counted as a repair (the page survives; nothing is rounded to
 *     inf behind the caller's back).
 *   Lua 5.1/5.2/LuaJIT (doubles only): integer syntax with |v| <= 2^53 -> an
 *     exact number; larger integer literals -> a STRING of their exact digits,
 *     never a silently rounded number (the caller can still tonumber() it).
 *     Beyond a double (1e400): a string of the literal, as on 5.3+.
 *     Record integer fields with fraction/exponent syntax stay plain numbers
 *     there (every number is a double anyway); id fields behave as on 5.3+.
 *
 * sl_json_push_response adds the record schema of the livestreams endpoint,
 * see field_hint() and the comment above sl_json_push_response.
 */
#include "json.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if SL_HAS_INT64 && defined(LUA_MAXINTEGER)
#if LUA_MAXINTEGER < 9223372036854775807
#error "shoplive needs a 64-bit lua_Integer on Lua 5.3+"
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SL_NOINLINE __attribute__((noinline))
#define SL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SL_NOINLINE
#define SL_UNLIKELY(x) (x)
#endif

typedef unsigned char uchar;

/* How parse_number treats a number, chosen by the record field it is in. */
enum { H_GENERIC = 0, H_INT = 1, H_ID = 2 };

/* parse_value results. */
enum { R_ERROR = 0, R_VALUE = 1, R_NULL = 2 };

/* What a repair fixed (bits of Parser.why). */
enum { WHY_UTF8 = 1, WHY_RANGE = 2 };

/* Repair notes kept per response at most (the count goes on). */
#define SL_JSON_MAX_NOTES 64

typedef struct {
  lua_State *L;
  const uchar *start; /* first byte of the input (byte 1 in messages) */
  const uchar *p;     /* current position */
  const uchar *end;   /* one past the last byte */
  char *err;
  size_t errlen;
  int depth;
  unsigned long repairs; /* values repaired (invalid UTF-8, out-of-range number) */
  int why;               /* WHY_* bits since the last reset */
  int notes;             /* stack index of the notes list, 0 = keep none */
  int keys;              /* stack index of the field names table, 0 = none */
  int nnotes;
  int rec;               /* 1-based record being decoded, 0 = none */
  int max_records;       /* 0 = no limit */
  int too_many;          /* the data array went past max_records */
} Parser;

/* --- errors ------------------------------------------------------------- */

/* Record "<what> at byte N" (at = offending byte) and return R_ERROR. */
static int fail(Parser *p, const uchar *at, const char *what) {
  if (p->err != NULL && p->errlen > 0)
    snprintf(p->err, p->errlen, "%s at byte %lu", what,
             (unsigned long)(at - p->start) + 1);
  return R_ERROR;
}

static int fail_eof(Parser *p) {
  return fail(p, p->end, "unexpected end of input");
}

/* --- lexing helpers ------------------------------------------------------ */

#define IS_DIGIT(c) ((unsigned)((c) - '0') < 10u)

static const uchar *skip_ws(const uchar *q, const uchar *e) {
  while (q < e && (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t')) q++;
  return q;
}

/* String byte classes: 0 plain ASCII, 1 '"', 2 '\\', 3 control, 4 >= 0x80. */
static const uchar str_class[256] = {
  3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3, 3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,
  0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,2,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4, 4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
  4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4, 4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
  4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4, 4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
  4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4, 4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4
};

/* Length of the well-formed UTF-8 sequence at q (q[0] >= 0x80), or 0. */
static size_t utf8_len(const uchar *q, const uchar *e) {
  size_t avail = (size_t)(e - q);
  uchar c = q[0], lo = 0x80, hi = 0xBF;
  if (c < 0xC2) return 0; /* stray continuation byte, or overlong C0/C1 */
  if (c < 0xE0)
    return (avail >= 2 && (q[1] & 0xC0) == 0x80) ? 2 : 0;
  if (c < 0xF0) {
    if (avail < 3) return 0;
    if (c == 0xE0) lo = 0xA0;      /* overlong */
    else if (c == 0xED) hi = 0x9F; /* UTF-16 surrogates */
    if (q[1] < lo || q[1] > hi || (q[2] & 0xC0) != 0x80) return 0;
    return 3;
  }
  if (c < 0xF5) {
    if (avail < 4) return 0;
    if (c == 0xF0) lo = 0x90;      /* overlong */
    else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    if (q[1] < lo || q[1] > hi || (q[2] & 0xC0) != 0x80 ||
        (q[3] & 0xC0) != 0x80)
      return 0;
    return 4;
  }
  return 0; /* F5..FF never appear in UTF-8 */
}

static int hex4(const uchar *q) {
  int v = 0, i;
  for (i = 0; i < 4; i++) {
    uchar c = q[i];
    v <<= 4;
    if (IS_DIGIT(c)) v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

static size_t utf8_encode(unsigned long cp, char *out) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

#define ONES UINT64_C(0x0101010101010101)

/* Skip string bytes that need no attention (class 0). Scans 8 bytes at a time
 * while none of them is '"', '\\', < 0x20 or >= 0x80 (each test is exact
 * about whether such a byte exists), then byte by byte. */
static const uchar *skip_plain(const uchar *q, const uchar *e) {
  while (e - q >= 8) {
    uint64_t w, x, y;
    memcpy(&w, q, 8);
    x = w ^ (ONES * '"');  /* zero byte where w has '"' */
    y = w ^ (ONES * '\\'); /* zero byte where w has a backslash */
    if ((((w - ONES * 0x20) & ~w) | ((x - ONES) & ~x) | ((y - ONES) & ~y) | w) &
        (ONES * 0x80))
      break;
    q += 8;
  }
  while (q < e && str_class[*q] == 0) q++;
  return q;
}

/* --- strings ------------------------------------------------------------- */

/* Slow path of parse_string: the string has escapes or invalid UTF-8.
 * s0 = first content byte, q = the first backslash or invalid byte. Builds the string in a luaL_Buffer (nothing to free
 * if a memory error unwinds through here). On a decode error the buffer is
 * closed and popped before returning, so the stack is as on entry.
 * Out of line so its luaL_Buffer never sits in a recursive frame. */
static SL_NOINLINE int parse_string_escaped(Parser *p, const uchar *s0,
                                            const uchar *q) {
  lua_State *L = p->L;
  const uchar *e = p->end, *run = s0, *bad;
  const char *what;
  luaL_Buffer b;
  char out[8];
  size_t n;
  int fixed = 0;
  if (!lua_checkstack(L, LUA_MINSTACK)) return fail(p, q, "out of Lua stack");
  luaL_buffinit(L, &b);
  for (;;) {
    q = skip_plain(q, e);
    if (q >= e) { bad = e; what = "unexpected end of input"; goto error; }
    switch (str_class[*q]) {
    case 1: /* closing quote */
      luaL_addlstring(&b, (const char *)run, (size_t)(q - run));
      luaL_pushresult(&b);
      p->p = q + 1;
      if (fixed) {
        p->repairs++;
        p->why |= WHY_UTF8;
      }
      return R_VALUE;
    case 2: { /* escape */
      const uchar *esc = q;
      luaL_addlstring(&b, (const char *)run, (size_t)(q - run));
      if (e - q < 2) { bad = e; what = "unexpected end of input"; goto error; }
      switch (q[1]) {
      case '"': out[0] = '"'; n = 1; break;
      case '\\': out[0] = '\\'; n = 1; break;
      case '/': out[0] = '/'; n = 1; break;
      case 'b': out[0] = '\b'; n = 1; break;
      case 'f': out[0] = '\f'; n = 1; break;
      case 'n': out[0] = '\n'; n = 1; break;
      case 'r': out[0] = '\r'; n = 1; break;
      case 't': out[0] = '\t'; n = 1; break;
      case 'u': {
        long cp;
        if (e - q < 6) { bad = e; what = "unexpected end of input"; goto error; }
        cp = hex4(q + 2);
        if (cp < 0) { bad = esc; what = "invalid escape in string"; goto error; }
        q += 4; /* q + 2 below skips the backslash and 'u' */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          long lo = -1;
          if (e - (q + 2) >= 6 && q[2] == '\\' && q[3] == 'u') lo = hex4(q + 4);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            q += 6;
          } else {
            cp = 0xFFFD; /* unpaired high surrogate: see header comment */
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;   /* lone low surrogate */
        }
        n = utf8_encode((unsigned long)cp, out);
        break;
      }
      default:
        bad = esc; what = "invalid escape in string"; goto error;
      }
      luaL_addlstring(&b, out, n);
      q += 2;
      run = q;
      break;
    }
    case 3:
      bad = q; what = "control character in string"; goto error;
    default: /* >= 0x80 */
      n = utf8_len(q, e);
      if (n == 0) { /* one invalid byte -> U+FFFD; resync at the next byte */
        luaL_addlstring(&b, (const char *)run, (size_t)(q - run));
        luaL_addlstring(&b, "\xEF\xBF\xBD", 3);
        q++;
        run = q;
        fixed = 1;
        break;
      }
      q += n;
      break;
    }
  }
error:
  luaL_pushresult(&b); /* close the buffer the documented way, then drop it */
  lua_pop(L, 1);
  return fail(p, bad, what);
}


/* p->p is at the opening quote. Pushes the string, moves past the closing
 * quote. Strings without escapes are pushed straight from the input. */
static int parse_string(Parser *p) {
  const uchar *e = p->end, *s0 = p->p + 1, *q = s0;
  for (;;) {
    size_t n;
    q = skip_plain(q, e);
    if (SL_UNLIKELY(q >= e)) return fail_eof(p);
    switch (str_class[*q]) {
    case 1:
      lua_pushlstring(p->L, (const char *)s0, (size_t)(q - s0));
      p->p = q + 1;
      return R_VALUE;
    case 2:
      return parse_string_escaped(p, s0, q);
    case 3:
      return fail(p, q, "control character in string");
    default:
      n = utf8_len(q, e);
      if (n == 0) return parse_string_escaped(p, s0, q);
      q += n;
    }
  }
}

/* --- numbers ------------------------------------------------------------- */

/* Push the number spelled [s, s+n) (valid JSON grammar) as a Lua float via
 * sl_stringtonumber on a NUL-terminated copy; suffix appends "e0" so that an
 * integer literal beyond int64 can only become a float. Beyond a double
 * (non-finite): the literal as a string, counted as a repair. */
static SL_NOINLINE int push_float(Parser *p, const uchar *s, size_t n,
                                  int suffix) {
  lua_State *L = p->L;
  char buf[48];
  int ok;
  lua_Number d;
  const size_t n0 = n;
  if (n + 3 <= sizeof buf) {
    memcpy(buf, s, n);
    if (suffix) { buf[n++] = 'e'; buf[n++] = '0'; }
    buf[n] = '\0';
    ok = sl_stringtonumber(L, buf);
  } else {
    lua_pushlstring(L, (const char *)s, n);
    if (suffix) { lua_pushliteral(L, "e0"); lua_concat(L, 2); }
    ok = sl_stringtonumber(L, lua_tostring(L, -1));
    if (ok) lua_remove(L, -2);
    else lua_pop(L, 1);
  }
  if (!ok) return fail(p, s, "invalid number");
  d = lua_tonumber(L, -1);
  if (!isfinite(d)) {
    lua_pop(L, 1);
    lua_pushlstring(L, (const char *)s, n0);
    p->repairs++;
    p->why |= WHY_RANGE;
  }
  return R_VALUE;
}

#if SL_HAS_INT64
/* For an integer field: if the literal [s, e) (fraction and/or exponent
 * syntax) denotes an integer that fits int64, store it exactly and return 1.
 * Works on the decimal digits, so 9007199254740993.0 stays exact. */
static int exact_integral(const uchar *s, const uchar *e, lua_Integer *out) {
  const uchar *q = s, *m0, *m1, *t;
  int neg = 0, exneg = 0;
  long fracd = 0, ex = 0, E;
  uint64_t u = 0, lim;
  if (*q == '-') { neg = 1; q++; }
  m0 = q;
  while (q < e && IS_DIGIT(*q)) q++;
  if (q < e && *q == '.') {
    q++;
    while (q < e && IS_DIGIT(*q)) { q++; fracd++; }
  }
  m1 = q;
  if (q < e && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < e && (*q == '+' || *q == '-')) { exneg = (*q == '-'); q++; }
    /* Saturate (never truncate) the exponent: beyond the literal's length
     * plus 19 digits its exact size no longer changes the answer. */
    for (; q < e && IS_DIGIT(*q); q++)
      if (ex <= (long)(e - s) + 19) ex = ex * 10 + (*q - '0');
  }
  E = (exneg ? -ex : ex) - fracd;
  /* value = digits(m0..m1 without '.') * 10^E; drop trailing zeros */
  t = m1;
  while (t > m0 && (t[-1] == '0' || t[-1] == '.')) {
    if (t[-1] == '0') E++;
    t--;
  }
  while (m0 < t && (*m0 == '0' || *m0 == '.')) m0++;
  if (m0 == t) { *out = 0; return 1; }
  if (E < 0 || E > 19) return 0;
  lim = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
  for (q = m0; q < t; q++) {
    unsigned d;
    if (*q == '.') continue;
    d = (unsigned)(*q - '0');
    if (u > (lim - d) / 10) return 0;
    u = u * 10 + d;
  }
  for (; E > 0; E--) {
    if (u > lim / 10) return 0;
    u *= 10;
  }
  if (neg) *out = (u == ((uint64_t)1 << 63)) ? (lua_Integer)INT64_MIN
                                             : -(lua_Integer)u;
  else *out = (lua_Integer)u;
  return 1;
}
#endif

/* p->p is at '-' or a digit. Validates the JSON number grammar, then pushes
 * (see the header comment; hint H_ID turns integer syntax into the string of
 * its literal, H_INT turns integral float syntax into an exact integer). */
static int parse_number(Parser *p, int hint) {
  lua_State *L = p->L;
  const uchar *s = p->p, *q = s, *e = p->end, *ds;
  int neg = 0, isint = 1, ovf = 0;
  size_t nd;
  uint64_t u = 0;
  if (*q == '-') { neg = 1; q++; }
  if (q >= e) return fail_eof(p);
  ds = q;
  if (*q == '0') {
    q++;
    if (q < e && IS_DIGIT(*q)) return fail(p, s, "invalid number (leading zero)");
  } else if (IS_DIGIT(*q)) {
    while (q < e && IS_DIGIT(*q)) q++;
  } else {
    return fail(p, s, "invalid number");
  }
  nd = (size_t)(q - ds);
  if (q < e && *q == '.') {
    isint = 0;
    q++;
    if (q >= e) return fail_eof(p);
    if (!IS_DIGIT(*q)) return fail(p, s, "invalid number");
    while (q < e && IS_DIGIT(*q)) q++;
  }
  if (q < e && (*q == 'e' || *q == 'E')) {
    isint = 0;
    q++;
    if (q < e && (*q == '+' || *q == '-')) q++;
    if (q >= e) return fail_eof(p);
    if (!IS_DIGIT(*q)) return fail(p, s, "invalid number");
    while (q < e && IS_DIGIT(*q)) q++;
  }
  p->p = q;

  if (isint) {
    const uchar *d;
    if (hint == H_ID) { /* ids: the exact digits, as a string */
      lua_pushlstring(L, (const char *)s, (size_t)(q - s));
      return R_VALUE;
    }
    /* at most 19 significant digits can fit; only the 19th can overflow */
    if (nd > 19) ovf = 1;
    else {
      uint64_t lim = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
      for (d = ds; d < q; d++) {
        unsigned dv = (unsigned)(*d - '0');
        if (nd == 19 && d == q - 1 && u > (lim - dv) / 10) { ovf = 1; break; }
        u = u * 10 + dv;
      }
    }
#if SL_HAS_INT64
    if (!ovf) {
      if (neg) lua_pushinteger(L, (u == ((uint64_t)1 << 63))
                                      ? (lua_Integer)INT64_MIN
                                      : -(lua_Integer)u);
      else lua_pushinteger(L, (lua_Integer)u);
      return R_VALUE;
    }
    return push_float(p, s, (size_t)(q - s), 1);
#else
    /* doubles only: exact up to 2^53, else keep the digits as a string */
    if (!ovf && u <= ((uint64_t)1 << 53)) {
      /* -0 is the integer 0, as on 5.3+ (a -0.0 would print "-0") */
      lua_pushnumber(L, (neg && u) ? -(lua_Number)u : (lua_Number)u);
      return R_VALUE;
    }
    lua_pushlstring(L, (const char *)s, (size_t)(q - s));
    return R_VALUE;
#endif
  }
#if SL_HAS_INT64
  if (hint == H_INT) {
    lua_Integer iv;
    if (exact_integral(s, q, &iv)) {
      lua_pushinteger(L, iv);
      return R_VALUE;
    }
  }
#endif
  return push_float(p, s, (size_t)(q - s), 0);
}

/* --- values -------------------------------------------------------------- */

static int parse_value(Parser *p, int hint);

/* Literal true/false/null at p->p. */
static int parse_literal(Parser *p, const char *lit, size_t n) {
  const uchar *q = p->p;
  size_t avail = (size_t)(p->end - q);
  if (avail >= n && memcmp(q, lit, n) == 0) {
    p->p = q + n;
    return R_VALUE;
  }
  if (avail < n && memcmp(q, lit, avail) == 0) return fail_eof(p);
  return fail(p, q, "expected value but found invalid token");
}

static int enter(Parser *p) {
  if (++p->depth > SL_JSON_MAX_DEPTH) {
    char msg[48];
    snprintf(msg, sizeof msg, "nesting deeper than %d", SL_JSON_MAX_DEPTH);
    return fail(p, p->p, msg);
  }
  if (!lua_checkstack(p->L, 4)) return fail(p, p->p, "out of Lua stack");
  return R_VALUE;
}

/* Which record fields get typed numbers: field_hint(), generated from the
 * kinds in lua/shoplive/schema.lua (tools/gen-schema-header.lua). */
#include "schema_fields.h"

/* A value was repaired: add { record = p->rec, field = <string at key>,
 * reason = ... } to the notes list (when one is kept and not full). */
static void note_repair(Parser *p, int key, int why) {
  lua_State *L = p->L;
  const char *reason = why == (WHY_UTF8 | WHY_RANGE) ? "invalid UTF-8, number out of range"
                     : why == WHY_RANGE ? "number out of range" : "invalid UTF-8";
  if (p->notes == 0 || p->nnotes >= SL_JSON_MAX_NOTES || !lua_checkstack(L, 3)) return;
  lua_createtable(L, 0, 3);
  if (p->rec > 0) {
    lua_pushinteger(L, p->rec);
    lua_setfield(L, -2, "record");
  }
  lua_pushvalue(L, key);
  lua_setfield(L, -2, "field");
  lua_pushstring(L, reason);
  lua_setfield(L, -2, "reason");
  lua_rawseti(L, p->notes, ++p->nnotes);
}

/* p->p at '['. Pushes a table. */
static int parse_array(Parser *p) {
  lua_State *L = p->L;
  const uchar *q, *e = p->end;
  int n = 0, r;
  if (!enter(p)) return R_ERROR;
  lua_createtable(L, 0, 0);
  q = skip_ws(p->p + 1, e);
  if (q < e && *q == ']') goto done;
  for (;;) {
    if (q >= e) return fail_eof(p);
    p->p = q;
    if (n == INT_MAX) return fail(p, q, "array too long");
    n++;
    r = parse_value(p, H_GENERIC);
    if (r == R_ERROR) return R_ERROR;
    if (r == R_VALUE) lua_rawseti(L, -2, n); /* null: leave the hole */
    q = skip_ws(p->p, e);
    if (q >= e) return fail_eof(p);
    if (*q == ',') { q = skip_ws(q + 1, e); continue; }
    if (*q == ']') break;
    return fail(p, q, "expected ',' or ']'");
  }
done:
  p->p = q + 1;
  p->depth--;
  return R_VALUE;
}

/* A record's key, p->p at its opening quote: pushes it and sets *hint. A
 * field of the spec written plainly (no escape, ASCII) comes from p->keys,
 * its name interned once per Lua state, rather than hashed and looked up in
 * the string table again for each of a page's 160 fields. */
static int push_record_key(Parser *p, int *hint) {
  const uchar *s0 = p->p + 1, *q;
  const char *k;
  size_t kl;
  if (p->keys) {
    q = skip_plain(s0, p->end);
    if (q < p->end && *q == '"') {
      int i = field_index((const char *)s0, (size_t)(q - s0));
      if (i) {
        lua_rawgeti(p->L, p->keys, i);
        *hint = field_hints[i];
        p->p = q + 1;
        return R_VALUE;
      }
    }
  }
  if (!parse_string(p)) return R_ERROR;
  k = lua_tolstring(p->L, -1, &kl);
  *hint = field_hint(k, kl);
  return R_VALUE;
}

/* p->p at '{'. Pushes a table; record != 0 types the fields (field_hint). */
static int parse_object(Parser *p, int record) {
  lua_State *L = p->L;
  const uchar *q, *e = p->end;
  int r, hint = H_GENERIC;
  if (!enter(p)) return R_ERROR;
  lua_createtable(L, 0, record ? 16 : 4);
  q = skip_ws(p->p + 1, e);
  if (q < e && *q == '}') goto done;
  for (;;) {
    if (q >= e) return fail_eof(p);
    unsigned long r0 = p->repairs;
    if (*q != '"') return fail(p, q, "expected string key");
    p->p = q;
    if (record) {
      p->why = 0;
      if (!push_record_key(p, &hint)) return R_ERROR;
    } else if (!parse_string(p)) {
      return R_ERROR;
    }
    q = skip_ws(p->p, e);
    if (q >= e) return fail_eof(p);
    if (*q != ':') return fail(p, q, "expected ':'");
    q = skip_ws(q + 1, e);
    if (q >= e) return fail_eof(p);
    p->p = q;
    r = parse_value(p, hint);
    if (r == R_ERROR) return R_ERROR;
    if (r == R_NULL) lua_pushnil(L); /* unset; removes an earlier duplicate */
    if (record && p->repairs != r0) note_repair(p, lua_gettop(L) - 1, p->why);
    lua_rawset(L, -3);
    q = skip_ws(p->p, e);
    if (q >= e) return fail_eof(p);
    if (*q == ',') { q = skip_ws(q + 1, e); continue; }
    if (*q == '}') break;
    return fail(p, q, "expected ',' or '}'");
  }
done:
  p->p = q + 1;
  p->depth--;
  return R_VALUE;
}

/* p->p at the first byte of a value (p->p < end). Pushes it, or pushes
 * nothing and returns R_NULL for null. */
static int parse_value(Parser *p, int hint) {
  switch (*p->p) {
  case '"':
    return parse_string(p);
  case '{':
    return parse_object(p, 0);
  case '[':
    return parse_array(p);
  case '-': case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9':
    return parse_number(p, hint);
  case 't':
    if (!parse_literal(p, "true", 4)) return R_ERROR;
    lua_pushboolean(p->L, 1);
    return R_VALUE;
  case 'f':
    if (!parse_literal(p, "false", 5)) return R_ERROR;
    lua_pushboolean(p->L, 0);
    return R_VALUE;
  case 'n':
    if (!parse_literal(p, "null", 4)) return R_ERROR;
    return R_NULL;
  default:
    return fail(p, p->p, "expected value but found invalid token");
  }
}

static int is_value_start(uchar c) {
  return c == '"' || c == '{' || c == '[' || c == '-' || IS_DIGIT(c) ||
         c == 't' || c == 'f' || c == 'n';
}

/* --- entry points -------------------------------------------------------- */

/* Set up p and move to the first significant byte. Returns 0 (with the
 * message) for empty input, a BOM or whitespace only. */
static int begin(Parser *p, lua_State *L, const char *s, size_t len,
                 char *errbuf, size_t errlen) {
  p->L = L;
  p->start = (const uchar *)s;
  p->end = p->start + len;
  p->err = errbuf;
  p->errlen = errlen;
  p->depth = 0;
  p->repairs = 0;
  p->why = p->notes = p->keys = p->nnotes = p->rec = p->max_records = p->too_many = 0;
  if (errbuf != NULL && errlen > 0) errbuf[0] = '\0';
  if (len == 0) return fail(p, p->start, "empty input");
  if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
    return fail(p, p->start, "UTF-8 byte order mark (not allowed in JSON)");
  p->p = skip_ws(p->start, p->end);
  if (p->p >= p->end) return fail_eof(p);
  return 1;
}

/* After the top value: only whitespace may follow. */
static int finish(Parser *p) {
  p->p = skip_ws(p->p, p->end);
  if (p->p < p->end) return fail(p, p->p, "trailing garbage");
  return 1;
}

int sl_json_push_value(lua_State *L, const char *s, size_t len, char *errbuf,
                       size_t errlen) {
  Parser p;
  int top = lua_gettop(L), r;
  if (!begin(&p, L, s, len, errbuf, errlen)) return 0;
  r = parse_value(&p, H_GENERIC);
  if (r == R_NULL) lua_pushnil(L);
  if (r == R_ERROR || !finish(&p)) {
    lua_settop(L, top);
    return 0;
  }
  return 1;
}

/* data: p->p at '['. Pushes the records array; each element must be an
 * object and is decoded with typed fields. */
static int parse_records(Parser *p) {
  lua_State *L = p->L;
  const uchar *q, *e = p->end;
  int n = 0;
  if (!enter(p)) return R_ERROR;
  lua_createtable(L, 10, 0); /* page_size is at most 10 */
  q = skip_ws(p->p + 1, e);
  if (q < e && *q == ']') goto done;
  for (;;) {
    if (q >= e) return fail_eof(p);
    if (n == INT_MAX) return fail(p, q, "array too long");
    if (p->max_records > 0 && n >= p->max_records) {
      /* Refused before the extra record's table exists: a body of millions
       * of {} costs at most max_records tables. */
      char msg[64];
      snprintf(msg, sizeof msg, "data has more than %d records", p->max_records);
      p->too_many = 1;
      return fail(p, q, msg);
    }
    n++;
    if (*q != '{') {
      char msg[64];
      if (!is_value_start(*q))
        return fail(p, q, "expected value but found invalid token");
      snprintf(msg, sizeof msg, "data[%d] is not an object", n);
      return fail(p, q, msg);
    }
    p->p = q;
    p->rec = n;
    if (!parse_object(p, 1)) return R_ERROR;
    p->rec = 0;
    lua_rawseti(L, -2, n);
    q = skip_ws(p->p, e);
    if (q >= e) return fail_eof(p);
    if (*q == ',') { q = skip_ws(q + 1, e); continue; }
    if (*q == ']') break;
    return fail(p, q, "expected ',' or ']'");
  }
done:
  p->p = q + 1;
  p->depth--;
  return R_VALUE;
}

/* Pushes the table of the spec's field names (field_names, 1..SL_NFIELDS),
 * made once per Lua state and kept in the registry. */
#define SL_FIELDS_KEY "shoplive.json.field_names"
static void push_field_names(lua_State *L) {
  int i;
  lua_getfield(L, LUA_REGISTRYINDEX, SL_FIELDS_KEY);
  if (lua_istable(L, -1)) return;
  lua_pop(L, 1);
  lua_createtable(L, SL_NFIELDS, 0);
  for (i = 1; i <= SL_NFIELDS; i++) {
    lua_pushstring(L, field_names[i]);
    lua_rawseti(L, -2, i);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, SL_FIELDS_KEY);
}

/* Top-level keys of a response that we keep, and their names in the result. */
enum { F_OTHER, F_CODE, F_MESSAGE, F_REQUEST_ID, F_DATA };
static const char *const resp_field_name[] = {
  NULL, "code", "message", "request_id", "records"
};

static const char *data_type_of(uchar c) {
  switch (c) {
  case '[': return "array";
  case '{': return "object";
  case '"': return "string";
  case 'n': return "null";
  case 't': case 'f': return "boolean";
  default: return "number";
  }
}

/* Response body (the top-level object):
 *   code, message  -> as decoded, under the same names
 *   requestId      -> request_id (as decoded)
 *   data           -> data_type = "array" | "null" | "object" | "string" |
 *                     "number" | "boolean" ("missing" when absent); when it
 *                     is an array, records = its elements, each an object
 *                     (else "data[i] is not an object", 1-based) decoded
 *                     with typed fields:
 *     create_time duration finish_time max_views_cnt total_joins_cnt
 *     total_sale_cnt total_sale_gmv_amt total_views_cnt:
 *       integer literal -> integer; integral non-integer literal that fits
 *       int64 (100.0, 1e3) -> that exact integer; else the float (12.5).
 *     room_id seller_id user_id: integer literal -> string of its digits.
 *     anything else (and any non-number in the fields above): generic.
 *   (The field lists above are schema.KINDS' "integer"/"time" and "id"
 *   fields; src/schema_fields.h is generated from them.)
 *   other top-level keys are validated and ignored. Duplicate keys: the last
 *   one wins (a later non-array data removes earlier records).
 */
int sl_json_push_response(lua_State *L, const char *s, size_t len, int max_records,
                          char *errbuf, size_t errlen) {
  Parser p;
  int top = lua_gettop(L), resp, r;
  const uchar *q, *e;
  const char *data_type = "missing";
  if (!begin(&p, L, s, len, errbuf, errlen)) return SL_JSON_ERROR;
  p.max_records = max_records > 0 ? max_records : 0;
  e = p.end;
  if (*p.p != '{') {
    fail(&p, p.p, "response is not a JSON object");
    return SL_JSON_ERROR;
  }
  if (!enter(&p)) return SL_JSON_ERROR;
  lua_createtable(L, 0, 5);
  resp = lua_gettop(L);
  lua_createtable(L, 0, 0); /* repair notes, under everything the loop pushes */
  p.notes = lua_gettop(L);
  push_field_names(L);
  p.keys = lua_gettop(L);
  q = skip_ws(p.p + 1, e);
  if (q < e && *q == '}') goto done;
  for (;;) {
    const char *k;
    size_t kl;
    int field = F_OTHER, key;
    unsigned long r0 = p.repairs;
    if (q >= e) { fail_eof(&p); goto error; }
    if (*q != '"') { fail(&p, q, "expected string key"); goto error; }
    p.p = q;
    p.why = 0;
    if (!parse_string(&p)) goto error;
    key = lua_gettop(L); /* stays until the value is stored (repair notes name it) */
    k = lua_tolstring(L, -1, &kl);
    if (kl == 4 && memcmp(k, "code", 4) == 0) field = F_CODE;
    else if (kl == 7 && memcmp(k, "message", 7) == 0) field = F_MESSAGE;
    else if (kl == 9 && memcmp(k, "requestId", 9) == 0) field = F_REQUEST_ID;
    else if (kl == 4 && memcmp(k, "data", 4) == 0) field = F_DATA;
    q = skip_ws(p.p, e);
    if (q >= e) { fail_eof(&p); goto error; }
    if (*q != ':') { fail(&p, q, "expected ':'"); goto error; }
    q = skip_ws(q + 1, e);
    if (q >= e) { fail_eof(&p); goto error; }
    p.p = q;
    if (field == F_DATA) {
      data_type = data_type_of(*q);
      if (*q == '[') {
        /* records note their own repairs; note the key's here */
        if (p.repairs != r0) note_repair(&p, key, p.why);
        r0 = p.repairs;
        if (!parse_records(&p)) goto error;
        r0 = p.repairs;
      } else {
        r = parse_value(&p, H_GENERIC); /* validate, then drop */
        if (r == R_ERROR) goto error;
        if (r == R_VALUE) lua_pop(L, 1);
        lua_pushnil(L);
      }
      lua_setfield(L, resp, "records");
    } else {
      r = parse_value(&p, H_GENERIC);
      if (r == R_ERROR) goto error;
      if (field == F_OTHER) {
        if (r == R_VALUE) lua_pop(L, 1);
      } else {
        if (r == R_NULL) lua_pushnil(L);
        lua_setfield(L, resp, resp_field_name[field]);
      }
    }
    if (p.repairs != r0) note_repair(&p, key, p.why);
    lua_settop(L, key - 1);
    q = skip_ws(p.p, e);
    if (q >= e) { fail_eof(&p); goto error; }
    if (*q == ',') { q = skip_ws(q + 1, e); continue; }
    if (*q == '}') break;
    fail(&p, q, "expected ',' or '}'");
    goto error;
  }
done:
  p.p = q + 1;
  if (!finish(&p)) goto error;
  lua_pushstring(L, data_type);
  lua_setfield(L, resp, "data_type");
  if (p.repairs > 0) {
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, (lua_Integer)p.repairs);
    lua_setfield(L, -2, "count");
    lua_pushvalue(L, p.notes);
    lua_setfield(L, -2, "fields");
    lua_setfield(L, resp, "repaired");
  }
  lua_settop(L, resp);
  return SL_JSON_OK;
error:
  lua_settop(L, top);
  return p.too_many ? SL_JSON_TOO_MANY : SL_JSON_ERROR;
}
