/* buf.c - see buf.h. */
#include <stdlib.h>
#include <string.h>
#include "buf.h"

/* First allocation: one typical 10-record page fits without regrowing. */
#define SL_BUF_INITIAL 16384

int sl_buf_append(sl_buf *b, const char *data, size_t n, size_t limit) {
  if (n > limit || b->len > limit - n) return SL_BUF_LIMIT;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : SL_BUF_INITIAL;
    while (cap < b->len + n) cap = cap > ((size_t)-1) / 2 ? b->len + n : cap * 2;
    /* Never reserve more than the limit allows. */
    if (cap > limit) cap = limit;
    char *p = realloc(b->p, cap);
    if (p == NULL) return SL_BUF_NOMEM;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return SL_BUF_OK;
}

void sl_buf_free(sl_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
