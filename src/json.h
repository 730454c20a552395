/* json.h - typed JSON decoder that builds Lua values directly.
 *
 * Why our own decoder: lua-cjson 2.1 (Debian) decodes every number as a
 * double, so 9007199254740993 loses its last digit and "page=" .. n prints
 * "1.0". The API's counters are int64; this decoder reads integer literals
 * into lua_Integer exactly and knows the record schema (ids stay strings,
 * integer fields become integers).
 *
 * Memory: the decoder never mallocs. It only pushes Lua values, so the only
 * error it can raise is a Lua memory error, and nothing leaks when it does.
 */
#ifndef SHOPLIVE_JSON_H
#define SHOPLIVE_JSON_H

#include <stddef.h>
#include "compat.h"

/* Deepest nesting of arrays/objects accepted; deeper input is a decode error. */
#define SL_JSON_MAX_DEPTH 64

/* Push any JSON value decoded from [s, s+len). null becomes nil (at the top
 * level too). Returns 1 with the value pushed, or 0 with nothing pushed and a
 * one-line message in errbuf (errlen bytes, NUL-terminated). */
int sl_json_push_value(lua_State *L, const char *s, size_t len,
                       char *errbuf, size_t errlen);

/* sl_json_push_response results. */
#define SL_JSON_ERROR 0    /* nothing pushed, message in errbuf */
#define SL_JSON_OK 1       /* the response table pushed */
#define SL_JSON_TOO_MANY 2 /* nothing pushed: data has more than max_records */

/* Decode an API response body and push a table:
 *   { code = <as decoded>, message = <as decoded>, request_id = <requestId>,
 *     data_type = "array" | "null" | "missing" | "object" | "string" | ...,
 *     records = { <record>, ... },  -- records only when data is an array
 *     repaired = { count = n, fields = { { record = i, field = "title",
 *                  reason = "invalid UTF-8" | "number out of range" | ... }, ... } } }
 *                                   -- repaired only when a value was repaired
 *                                   -- (count: every repaired value; at most 64 notes)
 * Top level must be a JSON object (else error). Each element of data must be an
 * object (else error naming its index). Records are typed (see json.c).
 * max_records > 0: a data array with more elements than that is refused as
 * soon as element max_records + 1 starts (SL_JSON_TOO_MANY), so a page
 * cannot build more than max_records record tables; 0 = no limit.
 * Returns SL_JSON_OK, SL_JSON_ERROR or SL_JSON_TOO_MANY. */
int sl_json_push_response(lua_State *L, const char *s, size_t len, int max_records,
                          char *errbuf, size_t errlen);

#endif
