/* buf.h - a growable byte buffer with a hard size limit. No Lua calls at all,
 * so it is safe inside libcurl callbacks. */
#ifndef SHOPLIVE_BUF_H
#define SHOPLIVE_BUF_H

#include <stddef.h>

typedef struct sl_buf {
  char *p;
  size_t len, cap;
} sl_buf;

enum { SL_BUF_OK = 0, SL_BUF_LIMIT = 1, SL_BUF_NOMEM = 2 };

/* Append n bytes unless the result would exceed limit bytes. */
int sl_buf_append(sl_buf *b, const char *data, size_t n, size_t limit);
void sl_buf_free(sl_buf *b);

#endif
