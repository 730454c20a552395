/* threads.c - several threads, each with its own lua_State and shoplive
 * clients, making requests against the sandbox at the same time.
 *
 * usage: threads SCENARIO.lua LABEL   (env SHOPLIVE_SANDBOX_URL: the sandbox;
 *        THREADS: HTTP threads, default 4; REQUESTS: per thread, default 20)
 *
 * - No thread touches the core before the start barrier: every thread then
 *   does `require "shoplive"` at once, so luaopen_shoplive_core (and with it
 *   http.c's pthread_once(curl_global_init)) runs for the first time in
 *   several threads concurrently (unless PREINIT=1, see main()).
 * - Each HTTP thread runs tests/c/thread_scenario.lua: pages of shop 237
 *   (blocking, livestreams_many, start/poll), 401s, refused connections, and
 *   a close with a request in flight.
 * - One more thread, with a 128 KiB stack, decodes deeply nested bodies with
 *   shoplive.decode meanwhile (the depth limit must hold in a small stack).
 * - Afterwards the sandbox's /_sandbox/stats must show the requests made.
 *
 * Built with -fsanitize=thread (make thread-test) or plain for helgrind
 * (make helgrind-test). Races are reported by the tool; this program checks
 * results and prints "LABEL: T threads, R requests, 0 races" at the end (the
 * race count comes from the tool: TSan's exit code 66, helgrind's 67, so the
 * line is only printed as "0 races" when the tool found none - see
 * mk/robustness.mk).
 */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SHOPLIVE_LUA_DIR
#define SHOPLIVE_LUA_DIR "lua"
#endif
#define MAX_THREADS 16

int luaopen_shoplive_core(lua_State *L);

static const char *script, *url;
static int nthreads = 4, nreq = 20;
static pthread_barrier_t start_barrier;

typedef struct {
  int id;
  int ok;
  long made, served, failures;
  char msg[256];
} Work;

static lua_State *new_state(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_shoplive_core);
  lua_setfield(L, -2, "shoplive.core");
  lua_getglobal(L, "package");
  lua_pushliteral(L, SHOPLIVE_LUA_DIR "/?.lua;" SHOPLIVE_LUA_DIR "/?/init.lua");
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_settop(L, 0);
  return L;
}

static void *http_thread(void *arg) {
  Work *w = arg;
  lua_State *L = new_state();
  pthread_barrier_wait(&start_barrier); /* everyone requires shoplive now */
  if (L == NULL) {
    snprintf(w->msg, sizeof w->msg, "luaL_newstate failed");
    return NULL;
  }
  if (luaL_loadfile(L, script) != LUA_OK) {
    snprintf(w->msg, sizeof w->msg, "%s", lua_tostring(L, -1));
    lua_close(L);
    return NULL;
  }
  lua_pushstring(L, url);
  lua_pushinteger(L, w->id);
  lua_pushinteger(L, nreq);
  if (lua_pcall(L, 3, 3, 0) != LUA_OK) {
    snprintf(w->msg, sizeof w->msg, "%s", lua_tostring(L, -1));
  } else {
    w->made = (long)lua_tointeger(L, -3);
    w->served = (long)lua_tointeger(L, -2);
    w->failures = (long)lua_tointeger(L, -1);
    w->ok = 1;
  }
  lua_close(L); /* clients already closed; finalizers run anyway */
  return NULL;
}

/* Deep bodies through shoplive.decode in a 128 KiB thread. */
static const char decode_src[] =
  "local shoplive = require('shoplive')\n"
  "local n = 0\n"
  "local function page(d) return '{\"code\":0,\"message\":\"m\",\"data\":' .. d .. ',\"requestId\":\"r\"}' end\n"
  "for round = 1, 20 do\n"
  "  local p, e = shoplive.decode('{\"deep\":' .. ('['):rep(100000) .. (']'):rep(100000) .. ',\"code\":0,\"data\":[]}')\n"
  "  assert(p == nil and e.kind == 'decode' and e.message:find('nesting deeper than 64'), tostring(e))\n"
  "  p, e = shoplive.decode(page('[' .. ('{\"a\":'):rep(62) .. '1' .. ('}'):rep(62) .. ']'))\n"
  "  assert(p and #p.records == 1, tostring(e))\n"
  "  p, e = shoplive.decode(page('[' .. ('{\"a\":'):rep(63) .. '1' .. ('}'):rep(63) .. ']'))\n"
  "  assert(p == nil and e.message:find('nesting deeper than 64'), tostring(e))\n"
  "  n = n + 3\n"
  "end\n"
  "return n\n";

static void *decode_thread(void *arg) {
  Work *w = arg;
  lua_State *L = new_state();
  pthread_barrier_wait(&start_barrier);
  if (L == NULL) return NULL;
  if (luaL_loadbuffer(L, decode_src, sizeof decode_src - 1, "=decode_thread") != LUA_OK ||
      lua_pcall(L, 0, 1, 0) != LUA_OK) {
    snprintf(w->msg, sizeof w->msg, "%s", lua_tostring(L, -1));
  } else {
    w->made = (long)lua_tointeger(L, -1);
    w->ok = 1;
  }
  lua_close(L);
  return NULL;
}

/* One plain HTTP/1.0 GET over a socket (no libcurl: the core must not be
 * initialised before the threads start). Returns the body, malloc'd. */
static char *raw_get(const char *path) {
  char host[64] = "";
  int port = 0;
  if (sscanf(url, "http://%63[0-9.]:%d", host, &port) != 2) return NULL;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return NULL;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return NULL;
  }
  char req[256];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
  if (write(fd, req, (size_t)n) != n) { close(fd); return NULL; }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  ssize_t k;
  while (buf && (k = read(fd, buf + len, cap - 1 - len)) > 0) {
    len += (size_t)k;
    if (len == cap - 1) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) { free(buf); buf = NULL; }
      else buf = nb;
    }
  }
  close(fd);
  if (!buf) return NULL;
  buf[len] = '\0';
  char *body = strstr(buf, "\r\n\r\n");
  char *out = body ? strdup(body + 4) : NULL;
  free(buf);
  return out;
}

static long stat_requests(void) {
  char *s = raw_get("/_sandbox/stats");
  long r = -1;
  if (s) {
    char *p = strstr(s, "\"requests\":");
    if (p) r = strtol(p + 11, NULL, 10);
    free(s);
  }
  return r;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SCENARIO.lua LABEL\n", argv[0]);
    return 2;
  }
  script = argv[1];
  const char *label = argv[2];
  url = getenv("SHOPLIVE_SANDBOX_URL");
  if (url == NULL || *url == '\0') {
    fprintf(stderr, "%s: SHOPLIVE_SANDBOX_URL is not set (run it through tools/with-sandbox)\n", label);
    return 2;
  }
  if (getenv("THREADS")) nthreads = atoi(getenv("THREADS"));
  if (getenv("REQUESTS")) nreq = atoi(getenv("REQUESTS"));
  if (nthreads < 1 || nthreads > MAX_THREADS) nthreads = 4;
  if (nreq < 1) nreq = 20;

  char *reset = raw_get("/_sandbox/reset");
  if (reset == NULL) {
    fprintf(stderr, "%s: cannot reach the sandbox at %s\n", label, url);
    return 2;
  }
  free(reset);

  /* PREINIT=1 (helgrind-test): the main thread loads the core first.
   * Helgrind models neither pthread_once nor C11 atomics, so the concurrent
   * first-time init would only produce its false positives; TSan (make
   * thread-test) understands both and covers that part. */
  if (getenv("PREINIT") && strcmp(getenv("PREINIT"), "1") == 0) {
    lua_State *L = new_state();
    if (L == NULL) return 2;
    lua_getglobal(L, "require");
    lua_pushliteral(L, "shoplive.core");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
      fprintf(stderr, "%s: %s\n", label, lua_tostring(L, -1));
      return 2;
    }
    lua_close(L);
  }

  pthread_t tid[MAX_THREADS + 1];
  Work work[MAX_THREADS + 1];
  memset(work, 0, sizeof work);
  pthread_barrier_init(&start_barrier, NULL, (unsigned)nthreads + 1);
  for (int i = 0; i < nthreads; i++) {
    work[i].id = i + 1;
    if (pthread_create(&tid[i], NULL, http_thread, &work[i]) != 0) { perror("pthread_create"); return 2; }
  }
  pthread_attr_t small;
  pthread_attr_init(&small);
  pthread_attr_setstacksize(&small, 128 * 1024);
  work[nthreads].id = 0;
  if (pthread_create(&tid[nthreads], &small, decode_thread, &work[nthreads]) != 0) {
    perror("pthread_create (128 KiB stack)");
    return 2;
  }
  pthread_attr_destroy(&small);

  long made = 0, served = 0, failures = 0;
  int bad = 0;
  for (int i = 0; i <= nthreads; i++) {
    pthread_join(tid[i], NULL);
    if (!work[i].ok) {
      fprintf(stderr, "%s: thread %d failed: %s\n", label, work[i].id, work[i].msg);
      bad++;
    }
    if (i < nthreads) {
      made += work[i].made;
      served += work[i].served;
      failures += work[i].failures;
    }
  }
  pthread_barrier_destroy(&start_barrier);

  /* Every request that reached the sandbox shows in its stats (the last
   * request of each thread is cancelled by close() and may or may not have
   * been sent). */
  long seen = stat_requests();
  printf("%s: %d HTTP threads made %ld requests (%ld served, %ld expected failures), "
         "decoder thread (128 KiB stack) decoded %ld deep bodies; sandbox saw %ld requests\n",
         label, nthreads, made, served, failures, work[nthreads].made, seen);
  if (seen < served || seen > served + nthreads) {
    fprintf(stderr, "%s: sandbox request count %ld outside [%ld, %ld]\n", label, seen, served, served + nthreads);
    bad++;
  }
  fflush(stdout);
  return bad ? 1 : 0;
}
