/* http.c - the transfer engine (see http.h).
 *
 * A client userdata owns a CURLM, a CURLSH (DNS and TLS sessions), the
 * request headers (which hold the API key) and a small pool of idle easy
 * handles. A transfer userdata owns its response buffer and, while in flight,
 * an easy handle; its uservalue holds its client so the client outlives it.
 * Either can be collected first: closing a client detaches its transfers, and
 * collecting a transfer in flight cancels it.
 */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "decode_lua.h"
#include "http.h"
#include "json.h"

/* Most header bytes accepted per response (libcurl 7.88 caps one header line
 * at 100 KiB but not their sum); a real API answer has well under 2 KiB. */
#define SL_MAX_HEADER_BYTES (64 * 1024)

/* Idle easy handles kept per client: enough for typical concurrency. */
#define SL_POOL_MAX 16

enum { XF_RUNNING = 0, XF_DONE = 1, XF_CANCELLED = 2 };

typedef struct sl_xfer sl_xfer;

typedef struct sl_client {
  CURLM *multi;
  CURLSH *share;
  struct curl_slist *headers; /* holds the API key: wiped before free */
  char *user_agent, *ca_file, *proxy;
  long timeout_ms, connect_timeout_ms;
  long low_speed_limit, low_speed_time;
  size_t max_body;
  sl_xfer *xfers; /* transfers added to multi */
  sl_xfer *early; /* transfers that failed in start: the next perform reports them */
  CURL *pool[SL_POOL_MAX];
  int npool;
  int running;
  int closed;
  int debug;    /* collect libcurl's verbose lines in dbg (redacted) */
  int http2;    /* offer h2 over TLS and multiplex on one connection */
  sl_buf dbg;
} sl_client;

struct sl_xfer {
  sl_client *client; /* set only while in flight */
  CURL *easy;        /* set only while in flight */
  sl_xfer *prev, *next;
  sl_client *early_of; /* set while on that client's early list */
  sl_xfer *early_next;
  sl_buf body;
  size_t max_body;
  int state;
  int too_large, nomem;
  int headers_too_large; /* the header sections (1xx included) were over SL_MAX_HEADER_BYTES */
  size_t header_bytes;   /* header bytes of the transfer, interim answers included */
  CURLcode result;
  long status;
  long num_connects;
  double total_time;
  char errbuf[CURL_ERROR_SIZE];
  char retry_after[64];
  char content_type[96];
};

/* ---- process-wide libcurl initialisation ---------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result = CURLE_FAILED_INIT;

/* curl_global_init is not thread-safe on every build, so it runs exactly once
 * per process; it is never undone (Lua may dlclose us while another state
 * still uses libcurl). */
static const char *curl_version_str = "unknown";
static int curl_has_http2 = 0;

/* curl_version_info rewrites static buffers on every call (libcurl 7.88), so
 * it is called once here, under the same once-guard. */
static void global_init(void) {
  global_result = curl_global_init(CURL_GLOBAL_ALL);
  curl_version_info_data *d = curl_version_info(CURLVERSION_NOW);
  if (d != NULL && d->version != NULL) curl_version_str = d->version;
  if (d != NULL && (d->features & CURL_VERSION_HTTP2)) curl_has_http2 = 1;
}

/* ---- small helpers -------------------------------------------------- */

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

static char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void copy_trimmed(char *dst, size_t cap, const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  if (n >= cap) n = cap - 1;
  memcpy(dst, s, n);
  dst[n] = '\0';
}

static void push_udata_with_mt(lua_State *L, const char *mt) {
  luaL_getmetatable(L, mt);
  lua_setmetatable(L, -2);
}

/* ---- libcurl callbacks: no Lua calls in here ------------------------ */

static size_t on_write(char *data, size_t size, size_t n, void *ud) {
  sl_xfer *x = ud;
  size_t len = size * n;
  switch (sl_buf_append(&x->body, data, len, x->max_body)) {
  case SL_BUF_OK: return len;
  case SL_BUF_LIMIT: x->too_large = 1; return 0;
  default: x->nomem = 1; return 0;
  }
}

static int header_is(const char *line, size_t n, const char *name, size_t *vstart) {
  size_t k = strlen(name);
  if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0) return 0;
  *vstart = k + 1;
  return 1;
}

#define IS_DIGIT3(p) ((p)[0] >= '0' && (p)[0] <= '9' && (p)[1] >= '0' && (p)[1] <= '9' && (p)[2] >= '0' && (p)[2] <= '9')

static size_t on_header(char *line, size_t size, size_t n, void *ud) {
  sl_xfer *x = ud;
  size_t len = size * n, v;
  int status_line = len >= 5 && memcmp(line, "HTTP/", 5) == 0;
  /* Counted over the interim (1xx) answers too, not reset at each status
   * line: a server that floods 100 Continue would otherwise run into
   * libcurl's own cap, which ends as a retryable transport error. */
  x->header_bytes += len;
  if (x->header_bytes > SL_MAX_HEADER_BYTES) {
    x->headers_too_large = 1;
    return 0;
  }
  if (status_line) {
    /* A new response starts: a 1xx interim one, then the final one
     * (redirects are not followed). Only a final status is kept, so a
     * transfer that ends after a 100/102 reports no status at all. */
    x->retry_after[0] = x->content_type[0] = '\0';
    size_t i = 5;
    while (i < len && line[i] != ' ') i++;
    if (len - i >= 4 && IS_DIGIT3(line + i + 1)) {
      long code = (line[i + 1] - '0') * 100 + (line[i + 2] - '0') * 10 + (line[i + 3] - '0');
      if (code >= 200) x->status = code;
    }
  } else if (header_is(line, len, "retry-after", &v)) {
    copy_trimmed(x->retry_after, sizeof x->retry_after, line + v, len - v);
  } else if (header_is(line, len, "content-type", &v)) {
    copy_trimmed(x->content_type, sizeof x->content_type, line + v, len - v);
  } else if (header_is(line, len, "content-length", &v)) {
    /* Abandon an announced oversized body before reading any of it. */
    char num[32];
    copy_trimmed(num, sizeof num, line + v, len - v);
    char *end;
    errno = 0;
    unsigned long long cl = strtoull(num, &end, 10);
    if (end != num && (errno == ERANGE || cl > (unsigned long long)x->max_body)) {
      x->too_large = 1;
      return 0;
    }
  }
  return len;
}

/* Verbose lines kept for the Lua debug hook at most; past it they are
 * dropped (the hook is for looking, not for bulk logging). */
#define SL_DEBUG_MAX (256 * 1024)

static int starts_with_ci(const char *line, size_t n, const char *name) {
  size_t k = strlen(name);
  return n >= k && strncasecmp(line, name, k) == 0;
}

static void debug_line(sl_client *c, const char *prefix, const char *line, size_t n) {
  /* Both carry credentials: the key, and the proxy's user:password. */
  if (starts_with_ci(line, n, "authorization:")) {
    line = "Authorization: [REDACTED]";
    n = strlen(line);
  } else if (starts_with_ci(line, n, "proxy-authorization:")) {
    line = "Proxy-Authorization: [REDACTED]";
    n = strlen(line);
  }
  if (sl_buf_append(&c->dbg, prefix, 2, SL_DEBUG_MAX) != SL_BUF_OK) return;
  if (sl_buf_append(&c->dbg, line, n, SL_DEBUG_MAX) != SL_BUF_OK) return;
  sl_buf_append(&c->dbg, "\n", 1, SL_DEBUG_MAX);
}

/* libcurl's debug callback: no Lua here either. Text and headers only (no
 * bodies), one line at a time, the Authorization header redacted; the key
 * itself is scrubbed again when the lines are taken (debug_take). */
static int on_debug(CURL *e, curl_infotype type, char *data, size_t size, void *ud) {
  (void)e;
  const char *prefix;
  switch (type) {
  case CURLINFO_TEXT: prefix = "* "; break;
  case CURLINFO_HEADER_IN: prefix = "< "; break;
  case CURLINFO_HEADER_OUT: prefix = "> "; break;
  default: return 0;
  }
  while (size > 0) {
    size_t n = 0;
    while (n < size && data[n] != '\n') n++;
    size_t len = n;
    while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n')) len--;
    if (len > 0) debug_line(ud, prefix, data, len);
    if (n < size) n++;
    data += n;
    size -= n;
  }
  return 0;
}

/* ---- client --------------------------------------------------------- */

static sl_client *check_client(lua_State *L, int i) {
  return luaL_checkudata(L, i, SL_CLIENT_MT);
}

static sl_client *check_open_client(lua_State *L, int i) {
  sl_client *c = check_client(L, i);
  if (c->closed) luaL_error(L, "shoplive: client is closed");
  return c;
}

static CURL *new_easy(sl_client *c, CURLcode *res) {
  CURL *e = curl_easy_init();
  *res = CURLE_OUT_OF_MEMORY;
  if (e == NULL) return NULL;
  CURLcode r = CURLE_OK;
#define SET(opt, val) if (r == CURLE_OK) r = curl_easy_setopt(e, opt, val)
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_HTTPGET, 1L);
  SET(CURLOPT_HTTPHEADER, c->headers);
  SET(CURLOPT_USERAGENT, c->user_agent);
  SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
  SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
  if (c->low_speed_limit > 0) {
    SET(CURLOPT_LOW_SPEED_LIMIT, c->low_speed_limit);
    SET(CURLOPT_LOW_SPEED_TIME, c->low_speed_time);
  }
#if LIBCURL_VERSION_NUM >= 0x075500
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  /* Redirects are never followed: the key must not travel to another host. */
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  if (c->ca_file) SET(CURLOPT_CAINFO, c->ca_file);
  /* Proxies come only from the proxy option: "" makes libcurl ignore
   * http_proxy, https_proxy and ALL_PROXY, and NOPROXY "" makes it ignore
   * NO_PROXY, so the environment can neither send the key through a proxy
   * nor route it around the one the caller chose. */
  SET(CURLOPT_PROXY, c->proxy ? c->proxy : "");
  SET(CURLOPT_NOPROXY, "");
  /* Decoded bytes reach on_write, so max_body also bounds gzip bombs. */
  SET(CURLOPT_ACCEPT_ENCODING, "");
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  /* on_header sees the server's answer only, never a proxy's CONNECT reply
   * (its "200 Connection established" is no billed answer) */
  SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  /* h2 only where TLS negotiates it (ALPN); otherwise, or with http2 off,
   * HTTP/1.1 as before. */
  SET(CURLOPT_HTTP_VERSION, c->http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
  if (c->debug) {
    SET(CURLOPT_DEBUGFUNCTION, on_debug);
    SET(CURLOPT_DEBUGDATA, c);
    SET(CURLOPT_VERBOSE, 1L);
  }
  if (c->share) SET(CURLOPT_SHARE, c->share);
#undef SET
  *res = r;
  if (r != CURLE_OK) {
    curl_easy_cleanup(e);
    return NULL;
  }
  return e;
}

static void pool_put(sl_client *c, CURL *e) {
  if (c->npool < SL_POOL_MAX) c->pool[c->npool++] = e;
  else curl_easy_cleanup(e);
}

static void unlink_xfer(sl_client *c, sl_xfer *x) {
  if (x->prev) x->prev->next = x->next;
  else c->xfers = x->next;
  if (x->next) x->next->prev = x->prev;
  x->prev = x->next = NULL;
}

/* A transfer that ended inside start is reported by the next perform, as
 * if libcurl had finished it. */
static void push_early(sl_client *c, sl_xfer *x) {
  x->early_of = c;
  x->early_next = c->early;
  c->early = x;
}

static void drop_early(sl_xfer *x) {
  sl_client *c = x->early_of;
  if (c == NULL) return;
  for (sl_xfer **p = &c->early; *p; p = &(*p)->early_next) {
    if (*p == x) {
      *p = x->early_next;
      break;
    }
  }
  x->early_of = NULL;
  x->early_next = NULL;
}

/* Take a transfer out of the multi handle, keeping what it learned. */
static void detach_xfer(sl_client *c, sl_xfer *x, int state, int keep_easy) {
  unlink_xfer(c, x);
  curl_multi_remove_handle(c->multi, x->easy);
  if (keep_easy) pool_put(c, x->easy);
  else curl_easy_cleanup(x->easy);
  x->easy = NULL;
  x->client = NULL;
  x->state = state;
  c->running--;
}

static void finish_xfer(sl_client *c, sl_xfer *x, CURLcode res) {
  long v = 0;
  double t = 0;
  x->result = res;
  /* libcurl reports the last status line, a 1xx too when the final answer
   * never came (a timeout after 102 Processing): keep only a final one. */
  if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &v) == CURLE_OK) x->status = v >= 200 ? v : 0;
  /* One header line over libcurl's own cap (CURL_MAX_HTTP_HEADER, 100 KiB)
   * ends the transfer with CURLE_OUT_OF_MEMORY and no message; memory did not
   * run out, a header was too long. Before any body byte, that is what
   * CURLE_OUT_OF_MEMORY means in practice (our own allocations set nomem). */
  if (res == CURLE_OUT_OF_MEMORY && !x->nomem && x->body.len == 0) x->headers_too_large = 1;
  if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &v) == CURLE_OK) x->num_connects = v;
  if (curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &t) == CURLE_OK) x->total_time = t;
  if (res != CURLE_OK && x->errbuf[0] == '\0')
    copy_trimmed(x->errbuf, sizeof x->errbuf, curl_easy_strerror(res), strlen(curl_easy_strerror(res)));
  detach_xfer(c, x, XF_DONE, 1);
}

/* Every transfer in flight, by its address, in a registry table with weak
 * values: drain turns libcurl's "done" messages back into the userdata to
 * report, and a transfer nobody holds any more is still collected (its __gc
 * cancels it). */
static const char live_key = 'l';

static void push_live(lua_State *L) {
  lua_pushlightuserdata(L, (void *)&live_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
}

/* Append x's userdata (found in the live table on top) to the array at out. */
static int report(lua_State *L, sl_xfer *x, int out, int n) {
  lua_pushlightuserdata(L, x);
  lua_rawget(L, -2);
  if (lua_isnil(L, -1)) { /* being collected: nobody waits for it */
    lua_pop(L, 1);
    return n;
  }
  lua_rawseti(L, out, ++n);
  lua_pushlightuserdata(L, x);
  lua_pushnil(L);
  lua_rawset(L, -3);
  return n;
}

/* Finish every transfer libcurl reports done and append its userdata to the
 * array at `out` (pre-sized by the caller to the transfers in flight, so the
 * appends allocate nothing); n is its length so far. Returns the new length. */
static int drain(lua_State *L, sl_client *c, int out, int n) {
  CURLMsg *m;
  int left;
  push_live(L);
  while (c->early) {
    sl_xfer *x = c->early;
    drop_early(x);
    n = report(L, x, out, n);
  }
  while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL *e = m->easy_handle;
    CURLcode res = m->data.result;
    sl_xfer *x = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
    if (x == NULL) continue;
    finish_xfer(c, x, res);
    n = report(L, x, out, n);
  }
  lua_pop(L, 1);
  return n;
}

static void client_release(sl_client *c) {
  if (c->closed) return;
  c->closed = 1;
  while (c->xfers) {
    sl_xfer *x = c->xfers;
    snprintf(x->errbuf, sizeof x->errbuf, "client closed while the request was in flight");
    detach_xfer(c, x, XF_CANCELLED, 0);
  }
  while (c->early) drop_early(c->early);
  for (int i = 0; i < c->npool; i++) curl_easy_cleanup(c->pool[i]);
  c->npool = 0;
  if (c->multi) curl_multi_cleanup(c->multi);
  if (c->share) curl_share_cleanup(c->share);
  c->multi = NULL;
  c->share = NULL;
  for (struct curl_slist *h = c->headers; h; h = h->next) wipe(h->data, strlen(h->data));
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  free(c->user_agent);
  free(c->ca_file);
  free(c->proxy);
  sl_buf_free(&c->dbg);
  c->user_agent = c->ca_file = c->proxy = NULL;
}

static const char *opt_string(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  const char *s = NULL;
  if (lua_type(L, -1) == LUA_TSTRING) {
    /* Control characters would inject headers (CR/LF) or cut a key short
     * (NUL); the Lua layer rejects them too, the core does not rely on it. */
    size_t n;
    s = lua_tolstring(L, -1, &n);
    for (size_t i = 0; i < n; i++)
      if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
        luaL_error(L, "shoplive.core.client: option '%s' must not contain control characters", k);
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "shoplive.core.client: option '%s' must be a string", k);
  }
  lua_pop(L, 1); /* the options table still anchors the string */
  return s;
}

static double opt_number(lua_State *L, int t, const char *k, double dflt) {
  lua_getfield(L, t, k);
  double d = lua_isnil(L, -1) ? dflt : (double)luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return d;
}

/* Largest value given to libcurl for a time or a rate: a 32-bit long holds
 * it, and libcurl's own arithmetic (low_speed_time * 1000 among others)
 * does not overflow with it. The Lua layer refuses larger values. */
#define SL_CURL_MAX 2147483647.0

/* libcurl reads a timeout of 0 ms as "none": a positive time is at least
 * 1 ms. */
static long seconds_to_ms(double s) {
  if (!(s > 0)) return 0;
  if (s * 1000.0 >= SL_CURL_MAX) return (long)SL_CURL_MAX;
  long ms = (long)(s * 1000.0 + 0.5);
  return ms > 0 ? ms : 1;
}

/* A double option as a long in [0, max] (rounded up), without the undefined
 * conversion of an out-of-range value. */
static long to_long_ceil(double d, double max) {
  if (!(d > 0)) return 0;
  if (d >= max) return (long)max;
  long v = (long)d;
  return (double)v < d ? v + 1 : v;
}

/* core.client{ api_key=, user_agent=, ca_file=, proxy=, timeout=, connect_timeout=,
 *              low_speed_limit=, low_speed_time=, max_body=, http2= } -> client
 * http2 (default true) takes effect only when libcurl was built with it.
 * Options are validated by the Lua layer; here we only insist on types. */
static int l_client_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const char *key = opt_string(L, 1, "api_key");
  const char *ua = opt_string(L, 1, "user_agent");
  const char *ca = opt_string(L, 1, "ca_file");
  const char *proxy = opt_string(L, 1, "proxy");
  double timeout = opt_number(L, 1, "timeout", 30);
  double ctimeout = opt_number(L, 1, "connect_timeout", 10);
  double lsl = opt_number(L, 1, "low_speed_limit", 0);
  double lst = opt_number(L, 1, "low_speed_time", 0);
  lua_getfield(L, 1, "debug");
  int debug = lua_toboolean(L, -1);
  lua_pop(L, 1);
  double max_body = opt_number(L, 1, "max_body", 8388608);
  lua_getfield(L, 1, "http2");
  int http2 = curl_has_http2 && (lua_isnil(L, -1) || lua_toboolean(L, -1));
  lua_pop(L, 1);
  if (key == NULL) return luaL_argerror(L, 1, "api_key is required");
  if (!(max_body >= 1)) return luaL_argerror(L, 1, "max_body must be positive");

  /* The userdata exists (with its __gc) before anything is allocated. */
  sl_client *c = sl_newuserdata(L, sizeof *c);
  memset(c, 0, sizeof *c);
  push_udata_with_mt(L, SL_CLIENT_MT);
  c->timeout_ms = seconds_to_ms(timeout);
  c->connect_timeout_ms = seconds_to_ms(ctimeout);
  c->low_speed_limit = to_long_ceil(lsl, SL_CURL_MAX);
  c->low_speed_time = to_long_ceil(lst, SL_CURL_MAX / 1000);
  /* CURLOPT_MAXFILESIZE_LARGE takes a curl_off_t: a larger value would wrap
   * negative and make every request fail. */
  {
    const double cap = SIZE_MAX > 0xFFFFFFFFu ? 4611686018427387904.0 /* 2^62 */ : (double)SIZE_MAX;
    c->max_body = max_body >= cap ? (size_t)cap : (size_t)max_body;
  }
  c->debug = debug;
  c->http2 = http2;

  c->multi = curl_multi_init();
  c->share = curl_share_init();
  if (c->multi == NULL || c->share == NULL) goto nomem;
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, http2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING);

  size_t klen = strlen(key);
  char *auth = malloc(klen + sizeof "Authorization: Bearer ");
  if (auth == NULL) goto nomem;
  memcpy(auth, "Authorization: Bearer ", sizeof "Authorization: Bearer " - 1);
  memcpy(auth + sizeof "Authorization: Bearer " - 1, key, klen + 1);
  struct curl_slist *h = curl_slist_append(NULL, auth);
  wipe(auth, klen + sizeof "Authorization: Bearer ");
  free(auth);
  if (h == NULL) goto nomem;
  c->headers = h;
  if ((h = curl_slist_append(c->headers, "Accept: application/json")) == NULL) goto nomem;

  if (ua && (c->user_agent = dupstr(ua)) == NULL) goto nomem;
  if (ca && (c->ca_file = dupstr(ca)) == NULL) goto nomem;
  if (proxy && (c->proxy = dupstr(proxy)) == NULL) goto nomem;
  return 1;
nomem:
  client_release(c);
  return luaL_error(L, "shoplive: out of memory creating the client");
}

static int l_client_close(lua_State *L) {
  client_release(check_client(L, 1));
  return 0;
}

static int l_client_closed(lua_State *L) {
  lua_pushboolean(L, check_client(L, 1)->closed);
  return 1;
}

/* client:start(url [, fresh]) -> transfer (the request is in flight when this
 * returns; it makes progress only inside client:perform). fresh = true opens
 * a new connection instead of reusing a pooled one. */
static int l_client_start(lua_State *L) {
  sl_client *c = check_open_client(L, 1);
  const char *url = luaL_checkstring(L, 2);
  long fresh = lua_toboolean(L, 3) ? 1L : 0L;

  sl_xfer *x = sl_newuserdata(L, sizeof *x);
  memset(x, 0, sizeof *x);
  push_udata_with_mt(L, SL_XFER_MT);
  lua_createtable(L, 1, 0); /* uservalue {client}: keeps the client alive */
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  sl_setuservalue(L, -2);
  /* listed before it holds anything: a failed insert leaves nothing unowned */
  push_live(L);
  lua_pushlightuserdata(L, x);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  x->max_body = c->max_body;
  x->state = XF_DONE;

  CURLcode nr = CURLE_OK;
  CURL *e = c->npool > 0 ? c->pool[--c->npool] : new_easy(c, &nr);
  /* not "out of memory" when libcurl refused an option value */
  if (e == NULL) return luaL_error(L, "shoplive: cannot start a request: %s", curl_easy_strerror(nr));
  CURLcode r = curl_easy_setopt(e, CURLOPT_URL, url);
  /* set every time: pooled handles keep their options */
  if (r == CURLE_OK) r = curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, fresh);
  /* Concurrent https requests wait for the connection being set up rather
   * than each opening one, so h2 carries them all on one connection. */
  if (r == CURLE_OK && c->http2)
    r = curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncasecmp(url, "https:", 6) == 0 ? 1L : 0L);
  if (r == CURLE_OK) r = curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
  if (r == CURLE_OK) r = curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  if (r == CURLE_OK) r = curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  if (r == CURLE_OK) r = curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
  if (r != CURLE_OK) {
    pool_put(c, e);
    x->result = r;
    copy_trimmed(x->errbuf, sizeof x->errbuf, curl_easy_strerror(r), strlen(curl_easy_strerror(r)));
    push_early(c, x);
    return 1;
  }
  x->easy = e;
  x->client = c;
  x->state = XF_RUNNING;
  x->next = c->xfers;
  if (c->xfers) c->xfers->prev = x;
  c->xfers = x;
  c->running++;
  CURLMcode mc = curl_multi_add_handle(c->multi, e);
  if (mc != CURLM_OK) {
    unlink_xfer(c, x);
    c->running--;
    x->easy = NULL;
    x->client = NULL;
    x->state = XF_DONE;
    x->result = CURLE_FAILED_INIT;
    snprintf(x->errbuf, sizeof x->errbuf, "could not start the request: %s", curl_multi_strerror(mc));
    pool_put(c, e);
    push_early(c, x);
  }
  return 1;
}

/* client:perform([seconds]) -> completed, running
 * Drives every transfer; waits for network activity at most `seconds`
 * (default 0: never blocks). completed: the transfers that finished in this
 * call (an array, maybe empty), so the caller handles exactly those. */
static int l_client_perform(lua_State *L) {
  sl_client *c = check_open_client(L, 1);
  double timeout = luaL_optnumber(L, 2, 0);
  int still, n;
  /* no transfer finishes that was not in flight (or failed in start): room
   * for all of them */
  int nearly = 0;
  for (sl_xfer *x = c->early; x; x = x->early_next) nearly++;
  lua_createtable(L, c->running + nearly, 0);
  int out = lua_gettop(L);
  CURLMcode mc = curl_multi_perform(c->multi, &still);
  n = drain(L, c, out, 0);
  if (mc == CURLM_OK && n == 0 && timeout > 0 && c->running > 0) {
    double ms = timeout * 1000.0;
    int wait_ms = ms >= (double)INT_MAX ? INT_MAX : (int)ms;
    if (wait_ms == 0) wait_ms = 1;
    mc = curl_multi_poll(c->multi, NULL, 0, wait_ms, NULL);
    if (mc == CURLM_OK) mc = curl_multi_perform(c->multi, &still);
    n = drain(L, c, out, n);
  }
  if (mc != CURLM_OK) return luaL_error(L, "shoplive: libcurl multi error: %s", curl_multi_strerror(mc));
  lua_pushinteger(L, c->running);
  return 2;
}

/* client:running() -> number of transfers in flight */
static int l_client_running(lua_State *L) {
  lua_pushinteger(L, check_client(L, 1)->running);
  return 1;
}

/* client:timeout() -> seconds until libcurl wants to be called, or nil */
static int l_client_timeout(lua_State *L) {
  sl_client *c = check_open_client(L, 1);
  long ms = -1;
  curl_multi_timeout(c->multi, &ms);
  if (ms < 0) lua_pushnil(L);
  else lua_pushnumber(L, ms / 1000.0);
  return 1;
}

/* client:redact(text [, cut]) -> text with the API key (and every piece of
 * it, see push_redacted) replaced by "[REDACTED]", so server-echoed texts
 * never carry the key into an err. cut = true: text was cut from a longer
 * one. The key itself never leaves C. */
static void push_redacted(lua_State *L, sl_client *c, const char *s, size_t n, int cut);

static int l_client_redact(lua_State *L) {
  sl_client *c = check_client(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  push_redacted(L, c, s, n, lua_toboolean(L, 3));
  return 1;
}

/* client:debug_take() -> the verbose lines collected since the last call
 * (key scrubbed), or nil when there are none. */
static int l_client_debug_take(lua_State *L) {
  sl_client *c = check_client(L, 1);
  if (c->dbg.len == 0) {
    lua_pushnil(L);
    return 1;
  }
  push_redacted(L, c, c->dbg.p, c->dbg.len, 0);
  c->dbg.len = 0;
  return 1;
}

/* Redaction: every run of SL_REDACT_MIN or more bytes that also occurs in
 * the key (the whole key when it is shorter) becomes "[REDACTED]", so a
 * server that echoes part of the key (cut, or from the middle) leaks none of
 * it. When the text was cut from a longer one (cut != 0), a key prefix of any
 * length at its very end is redacted too: the rest of the key was cut off. */
#define SL_REDACT_MIN 8

/* Length of the longest prefix of s[0..n) that occurs somewhere in key. */
static size_t key_run(const unsigned char *s, size_t n, const unsigned char *key, size_t klen) {
  size_t best = 0;
  for (size_t j = 0; j + best < klen; j++) {
    size_t m = 0;
    while (m < n && j + m < klen && s[m] == key[j + m]) m++;
    if (m > best) best = m;
  }
  return best;
}

static void push_redacted(lua_State *L, sl_client *c, const char *s, size_t n, int cut) {
  static const char prefix[] = "Authorization: Bearer ";
  const unsigned char *key = c->headers ? (const unsigned char *)c->headers->data + sizeof prefix - 1 : NULL;
  size_t klen = key ? strlen((const char *)key) : 0;
  if (klen == 0) {
    lua_pushlstring(L, s, n);
    return;
  }
  size_t min = klen < SL_REDACT_MIN ? klen : SL_REDACT_MIN;
  unsigned char in_key[256] = {0}; /* skips most bytes without a scan */
  for (size_t j = 0; j < klen; j++) in_key[key[j]] = 1;
  const unsigned char *u = (const unsigned char *)s;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t i = 0;
  while (i < n) {
    size_t m = in_key[u[i]] ? key_run(u + i, n - i, key, klen) : 0;
    if (m < min && cut && n - i < klen && memcmp(u + i, key, n - i) == 0) m = n - i;
    else if (m < min) m = 0;
    if (m > 0) {
      luaL_addstring(&b, "[REDACTED]");
      i += m;
    } else {
      luaL_addchar(&b, s[i]);
      i++;
    }
  }
  luaL_pushresult(&b);
}

static int l_client_tostring(lua_State *L) {
  sl_client *c = check_client(L, 1);
  lua_pushfstring(L, "shoplive.core.client (%s): %p", c->closed ? "closed" : "open", (void *)c);
  return 1;
}

/* ---- transfer ------------------------------------------------------- */

static sl_xfer *check_xfer(lua_State *L, int i) { return luaL_checkudata(L, i, SL_XFER_MT); }

static void xfer_cancel(sl_xfer *x) {
  if (x->state == XF_RUNNING && x->client) {
    snprintf(x->errbuf, sizeof x->errbuf, "request cancelled");
    detach_xfer(x->client, x, XF_CANCELLED, 1);
  }
}

static int l_xfer_gc(lua_State *L) {
  sl_xfer *x = check_xfer(L, 1);
  drop_early(x);
  xfer_cancel(x);
  sl_buf_free(&x->body);
  return 0;
}

static int l_xfer_cancel(lua_State *L) {
  sl_xfer *x = check_xfer(L, 1);
  int was_running = x->state == XF_RUNNING;
  drop_early(x);
  xfer_cancel(x);
  sl_buf_free(&x->body);
  lua_pushboolean(L, was_running);
  return 1;
}

static int l_xfer_done(lua_State *L) {
  lua_pushboolean(L, check_xfer(L, 1)->state != XF_RUNNING);
  return 1;
}

/* transfer:outcome() -> ok, bytes, status, seconds: ok is true for a finished
 * transfer with no libcurl error and HTTP 200 (the success path needs
 * nothing more, so it builds no info table); status is 0 before headers;
 * seconds is libcurl's total time (the latency histogram's observation). */
static int l_xfer_outcome(lua_State *L) {
  sl_xfer *x = check_xfer(L, 1);
  lua_pushboolean(L, x->state == XF_DONE && x->result == CURLE_OK && x->status == 200);
  lua_pushinteger(L, (lua_Integer)x->body.len);
  lua_pushinteger(L, (lua_Integer)x->status);
  lua_pushnumber(L, x->total_time);
  return 4;
}

#define SET_FIELD(push, k) (push, lua_setfield(L, -2, k))

/* transfer:info() -> { state=, status=, curl_code=, error=, too_large=,
 *   out_of_memory=, retry_after=, content_type=, bytes=, connects=, time= } */
static int l_xfer_info(lua_State *L) {
  sl_xfer *x = check_xfer(L, 1);
  static const char *const states[] = {"running", "done", "cancelled"};
  lua_createtable(L, 0, 12);
  SET_FIELD(lua_pushstring(L, states[x->state]), "state");
  if (x->status > 0) SET_FIELD(lua_pushinteger(L, x->status), "status");
  SET_FIELD(lua_pushinteger(L, (lua_Integer)x->result), "curl_code");
  if (x->state != XF_RUNNING && (x->result != CURLE_OK || x->state == XF_CANCELLED))
    SET_FIELD(lua_pushstring(L, x->errbuf), "error");
  SET_FIELD(lua_pushboolean(L, x->too_large || x->result == CURLE_FILESIZE_EXCEEDED), "too_large");
  SET_FIELD(lua_pushboolean(L, x->nomem), "out_of_memory");
  SET_FIELD(lua_pushboolean(L, x->headers_too_large), "headers_too_large");
  if (x->retry_after[0]) SET_FIELD(lua_pushstring(L, x->retry_after), "retry_after");
  if (x->content_type[0]) SET_FIELD(lua_pushstring(L, x->content_type), "content_type");
  SET_FIELD(lua_pushinteger(L, (lua_Integer)x->body.len), "bytes");
  SET_FIELD(lua_pushinteger(L, x->num_connects), "connects");
  SET_FIELD(lua_pushnumber(L, x->total_time), "time");
  return 1;
}

/* transfer:body() -> the response body as received (the store's page cache
 * keeps it) */
static int l_xfer_body(lua_State *L) {
  sl_xfer *x = check_xfer(L, 1);
  lua_pushlstring(L, x->body.p ? x->body.p : "", x->body.len);
  return 1;
}

/* transfer:decode([max_records]) -> resp | nil, msg [, "records"] (see json.h;
 * the third value says the page had more than max_records records) */
static int l_xfer_decode(lua_State *L) {
  sl_xfer *x = check_xfer(L, 1);
  int max_records = sl_opt_max_records(L, 2);
  char err[160];
  int r = sl_json_push_response(L, x->body.p ? x->body.p : "", x->body.len, max_records, err, sizeof err);
  return sl_decode_results(L, r, err);
}

/* transfer:release() frees the response buffer early (the userdata stays). */
static int l_xfer_release(lua_State *L) {
  sl_buf_free(&check_xfer(L, 1)->body);
  return 0;
}

static const luaL_Reg client_methods[] = {
  {"start", l_client_start},     {"perform", l_client_perform}, {"running", l_client_running},
  {"timeout", l_client_timeout}, {"close", l_client_close},     {"closed", l_client_closed},
  {"redact", l_client_redact},   {"debug_take", l_client_debug_take},
  {NULL, NULL}};

static const luaL_Reg xfer_methods[] = {
  {"done", l_xfer_done},     {"info", l_xfer_info},       {"outcome", l_xfer_outcome},
  {"decode", l_xfer_decode}, {"cancel", l_xfer_cancel},   {"release", l_xfer_release},
  {"body", l_xfer_body},
  {NULL, NULL}};

static void new_metatable(lua_State *L, const char *name, const luaL_Reg *methods,
                          lua_CFunction gc, lua_CFunction tostr) {
  luaL_newmetatable(L, name);
  sl_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
#if LUA_VERSION_NUM >= 504
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__close");
#endif
  if (tostr) {
    lua_pushcfunction(L, tostr);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
}

void sl_http_register(lua_State *L) {
  pthread_once(&global_once, global_init);
  if (global_result != CURLE_OK)
    luaL_error(L, "shoplive: curl_global_init failed: %s", curl_easy_strerror(global_result));
  new_metatable(L, SL_CLIENT_MT, client_methods, l_client_close, l_client_tostring);
  new_metatable(L, SL_XFER_MT, xfer_methods, l_xfer_gc, NULL);
  push_live(L);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushlightuserdata(L, (void *)&live_key);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
  } else {
    lua_pop(L, 1);
  }
  static const luaL_Reg funcs[] = {
    {"client", l_client_new}, {NULL, NULL}};
  sl_setfuncs(L, funcs);
  lua_pushstring(L, curl_version_str);
  lua_setfield(L, -2, "curl_version");
}
