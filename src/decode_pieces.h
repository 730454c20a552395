#ifndef SHOPLIVE_DECODE_PIECES_H
#define SHOPLIVE_DECODE_PIECES_H
#include "compat.h"
/* The text to decode at argument arg: a string, or a table of pieces
 * {s1, first1, last1, s2, first2, last2, ...} (byte ranges of strings, as
 * string.sub counts them). Sets *len and returns the bytes: a string's own,
 * a single piece's in place, several pieces joined in a buffer that stays
 * valid until the next call (memory of a userdata: nothing to free). */
const char *sl_decode_text(lua_State *L, int arg, size_t *len);
#endif
