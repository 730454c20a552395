/* alloc_fail.c - fail the Nth Lua allocation along a full shoplive scenario.
 *
 * usage: alloc_fail SCENARIO.lua   (env SHOPLIVE_SANDBOX_URL: the sandbox;
 *        ALLOC_JOBS: parallel children, default the number of CPUs;
 *        ALLOC_STRIDE: test every Sth N only, default 1 = every N;
 *        ALLOC_OFFSET: the first N, default 1: with a stride, successive
 *        runs at offsets 1..S cover every N between them)
 *
 * A lua_State is made with lua_newstate and a counting allocator. Each run
 * executes tests/c/alloc_scenario.lua (state, openlibs, require "shoplive",
 * client:livestreams, an iterator, shoplive.decode, a 401, close) with the
 * Nth allocation failing, in two modes:
 *   once: only the Nth allocation returns NULL (Lua then runs an emergency
 *         GC and retries, so this mostly tests emergency collections at every
 *         allocation point; a few runs end in a memory error)
 *   from: the Nth and every later allocation return NULL (every run ends in
 *         a memory error until N is past the scenario)
 * for N = 1..K, where K is the allocation count of a clean run plus a margin;
 * the sweep ends when runs in `from` mode succeed without hitting N.
 *
 * "Allocation" = a request for a new block or for growing one. Shrinking and
 * freeing never fail (Lua's own ltests.c allocator does the same). libcurl's
 * and the core's own malloc()s (sl_buf, curl handles) do not go through the
 * Lua allocator, so they are not failed here; LSan still checks them for
 * leaks.
 *
 * Each run is a forked child (the parent only calls curl_global_init once,
 * then forks; it never runs Lua itself, so nothing a run leaks is inherited by
 * later runs). The child reports its outcome through a pipe and exits;
 * LeakSanitizer checks the child at exit. A first clean run calibrates K. A run counts as:
 *   ok          the scenario returned "ok"
 *   memory      lua_newstate returned NULL, lua_pcall gave LUA_ERRMEM, or the
 *               error message is Lua's "not enough memory" (require and the
 *               iterator's coroutine pass it on as a string)
 *   failure     any other error (e.g. a "scenario: ..." check failed)
 *   leak        the Lua allocator still holds bytes after lua_close, or LSan
 *               reported a leak (child exit status 23)
 *   crash       the child died from a signal or any other exit status
 * The last line is "alloc-test: N runs, M memory errors, C crashes, L leaks"
 * and the exit status is non-zero on any crash, leak or failure.
 */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SHOPLIVE_LUA_DIR
#define SHOPLIVE_LUA_DIR "lua"
#endif
#define BODY_FILE "tests/fixtures/bodies/example_page.json"
#define LEAK_EXIT 23

int luaopen_shoplive_core(lua_State *L);

/* LSan: leaks make the child exit with LEAK_EXIT (counted as a leak). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=1:exitcode=23:abort_on_error=0"; }

enum { MODE_ONCE = 0, MODE_FROM = 1 };
enum { OUT_OK, OUT_MEM, OUT_FAIL, OUT_LEAK };
static const char *const mode_name[] = {"once", "from"};

typedef struct {
  unsigned long count;       /* allocations so far */
  unsigned long fail_at;     /* 0: never fail */
  int mode;
  unsigned long failed;      /* NULLs returned */
  long long outstanding;     /* bytes held */
} Counter;

static void *count_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  Counter *c = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    c->outstanding -= (long long)old;
    free(ptr);
    return NULL;
  }
  if (ptr == NULL || nsize > osize) {
    c->count++;
    if (c->fail_at != 0 &&
        (c->mode == MODE_ONCE ? c->count == c->fail_at : c->count >= c->fail_at)) {
      c->failed++;
      return NULL;
    }
  }
  void *p = realloc(ptr, nsize);
  if (p != NULL) c->outstanding += (long long)nsize - (long long)old;
  return p;
}

static int panicked;
static int on_panic(lua_State *L) {
  fprintf(stderr, "alloc_fail: PANIC (error outside protected mode): %s\n",
          lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
  panicked = 1;
  abort();
}

static int warnings;
static void on_warn(void *ud, const char *msg, int tocont) {
  (void)ud;
  /* ALLOC_WARNINGS_TO=FILE appends them there, to see which finalizer failed */
  const char *to = getenv("ALLOC_WARNINGS_TO");
  FILE *f = to ? fopen(to, "a") : NULL;
  if (f) {
    fprintf(f, "%s%s", msg, tocont ? "" : "\n");
    fclose(f);
  }
  if (!tocont) warnings++; /* "error in __gc" and the like: counted, not fatal */
}

typedef struct {
  const char *script, *url;
} Args;

/* Protected main: libs, core in package.preload, paths, the scenario. */
static int pmain(lua_State *L) {
  const Args *a = lua_touserdata(L, 1);
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
  if (luaL_loadfile(L, a->script) != LUA_OK) return lua_error(L);
  lua_pushstring(L, a->url);
  lua_pushliteral(L, BODY_FILE);
  lua_call(L, 2, 1);
  return 1;
}

typedef struct {
  int outcome;
  unsigned long count, failed;
  long long outstanding;
  int warnings;
  char msg[200];
} Result;

static void run_one(const Args *a, unsigned long fail_at, int mode, Result *r) {
  Counter c = {0, fail_at, mode, 0, 0};
  memset(r, 0, sizeof *r);
  warnings = 0;
  lua_State *L = lua_newstate(count_alloc, &c);
  if (L == NULL) {
    r->outcome = OUT_MEM;
    snprintf(r->msg, sizeof r->msg, "lua_newstate: NULL");
  } else {
    lua_atpanic(L, on_panic);
    lua_setwarnf(L, on_warn, NULL);
    lua_pushcfunction(L, pmain);
    lua_pushlightuserdata(L, (void *)a);
    int st = lua_pcall(L, 1, 1, 0);
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    snprintf(r->msg, sizeof r->msg, "%s", m ? m : luaL_typename(L, -1));
    if (st == LUA_OK)
      r->outcome = (m && strcmp(m, "ok") == 0) ? OUT_OK : OUT_FAIL;
    else if (st == LUA_ERRMEM)
      r->outcome = OUT_MEM;
    else if (m && strstr(m, "not enough memory") != NULL)
      r->outcome = OUT_MEM; /* passed on as a string by require / a coroutine */
    else
      r->outcome = OUT_FAIL;
    lua_close(L);
  }
  r->count = c.count;
  r->failed = c.failed;
  r->outstanding = c.outstanding;
  r->warnings = warnings;
  if (c.outstanding != 0 && r->outcome != OUT_FAIL) r->outcome = OUT_LEAK;
}

/* ---- the sweep: forked children, ALLOC_JOBS at a time -------------------- */

typedef struct {
  pid_t pid;
  int fd;
  unsigned long n;
  int mode;
} Slot;

static unsigned long runs, n_ok, n_mem, n_fail, n_leak, n_crash, n_warn;
static unsigned long by_mode_runs[2], by_mode_mem[2];
static unsigned long max_n_failed[2];   /* highest N at which a failure was injected */
static unsigned long from_clean_streak; /* consecutive `from` runs that never hit N */
static int reported;

static void report_problem(const char *what, const Slot *s, const char *detail, const char *log) {
  if (reported++ >= 5) return;
  fprintf(stderr, "alloc-test: %s at N=%lu mode=%s: %s\n", what, s->n, mode_name[s->mode], detail);
  if (log) {
    FILE *f = fopen(log, "r");
    if (f) {
      char line[512];
      int i = 0;
      while (fgets(line, sizeof line, f) && i++ < 60) fputs(line, stderr);
      fclose(f);
    }
  }
}

/* The child has exited (status from waitpid); its result is in the pipe. */
static void reap(Slot *s, int status, const char *logdir, int slot_index) {
  Result r;
  char log[512];
  snprintf(log, sizeof log, "%s/alloc-child-%d.log", logdir, slot_index);
  ssize_t got = 0, k;
  while (got < (ssize_t)sizeof r && (k = read(s->fd, (char *)&r + got, sizeof r - got)) > 0) got += k;
  close(s->fd);
  runs++;
  by_mode_runs[s->mode]++;
  if (got != (ssize_t)sizeof r) {
    n_crash++;
    report_problem("CRASH (no result)", s, WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit", log);
    return;
  }
  n_warn += (unsigned long)r.warnings;
  if (r.failed > 0 && s->n > max_n_failed[s->mode]) max_n_failed[s->mode] = s->n;
  if (s->mode == MODE_FROM) from_clean_streak = r.failed == 0 ? from_clean_streak + 1 : 0;
  if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
                              WEXITSTATUS(status) != LEAK_EXIT)) {
    n_crash++;
    report_problem("CRASH", s, WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "bad exit status", log);
    return;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == LEAK_EXIT) {
    n_leak++;
    report_problem("LEAK (LSan)", s, r.msg, log);
    return;
  }
  switch (r.outcome) {
  case OUT_OK: n_ok++; break;
  case OUT_MEM: n_mem++; by_mode_mem[s->mode]++; break;
  case OUT_LEAK: {
    char d[300];
    snprintf(d, sizeof d, "%lld bytes still allocated after lua_close (%s)", r.outstanding, r.msg);
    n_leak++;
    report_problem("LEAK (Lua allocator)", s, d, NULL);
    break;
  }
  default:
    n_fail++;
    report_problem("FAILURE", s, r.msg, log);
  }
}

static void spawn(Slot *s, const Args *a, unsigned long n, int mode, const char *logdir, int slot_index) {
  int p[2];
  if (pipe(p) != 0) { perror("pipe"); exit(2); }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); exit(2); }
  if (pid == 0) {
    char log[512];
    snprintf(log, sizeof log, "%s/alloc-child-%d.log", logdir, slot_index);
    if (freopen(log, "w", stderr) == NULL) _exit(3);
    close(p[0]);
    Result r;
    run_one(a, n, mode, &r);
    ssize_t off = 0, k;
    while (off < (ssize_t)sizeof r && (k = write(p[1], (char *)&r + off, sizeof r - off)) > 0) off += k;
    close(p[1]);
    exit(0); /* LSan's leak check runs here */
  }
  close(p[1]);
  s->pid = pid;
  s->fd = p[0];
  s->n = n;
  s->mode = mode;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCENARIO.lua\n", argv[0]);
    return 2;
  }
  Args a = {argv[1], getenv("SHOPLIVE_SANDBOX_URL")};
  if (a.url == NULL || *a.url == '\0') {
    fprintf(stderr, "alloc-test: SHOPLIVE_SANDBOX_URL is not set (run it through tools/with-sandbox)\n");
    return 2;
  }
  const char *logdir = getenv("ALLOC_LOGDIR") ? getenv("ALLOC_LOGDIR") : "build/robustness";
  long jobs = getenv("ALLOC_JOBS") ? atol(getenv("ALLOC_JOBS")) : sysconf(_SC_NPROCESSORS_ONLN);
  long stride = getenv("ALLOC_STRIDE") ? atol(getenv("ALLOC_STRIDE")) : 1;
  if (jobs < 1) jobs = 1;
  if (jobs > 64) jobs = 64;
  if (stride < 1) stride = 1;
  long offset = getenv("ALLOC_OFFSET") ? atol(getenv("ALLOC_OFFSET")) : 1;
  if (offset < 1) offset = 1;
  signal(SIGPIPE, SIG_IGN);

  /* libcurl's global init once here, so that each child only bumps its
   * reference count (http.c's pthread_once still runs in every child). The
   * parent itself never runs Lua: a leak in a run is the run's alone. */
  if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
    fprintf(stderr, "alloc-test: curl_global_init failed\n");
    return 2;
  }

  /* A clean run (in a child too) calibrates K. */
  Result clean;
  {
    Slot s;
    int status;
    char log0[512];
    snprintf(log0, sizeof log0, "%s/alloc-child-0.log", logdir);
    spawn(&s, &a, 0, MODE_ONCE, logdir, 0);
    ssize_t got = 0, k;
    while (got < (ssize_t)sizeof clean && (k = read(s.fd, (char *)&clean + got, sizeof clean - got)) > 0) got += k;
    close(s.fd);
    while (waitpid(s.pid, &status, 0) < 0 && errno == EINTR) {}
    if (got == (ssize_t)sizeof clean && WIFEXITED(status) && WEXITSTATUS(status) == LEAK_EXIT) {
      runs++;
      n_leak++;
      report_problem("LEAK (LSan) in the clean run", &s, "", log0);
    } else if (got != (ssize_t)sizeof clean || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
               clean.outcome != OUT_OK) {
      fprintf(stderr, "alloc-test: the scenario fails without any injected failure: %s\n",
              got == (ssize_t)sizeof clean ? clean.msg : "(no result)");
      report_problem("clean run", &s, "", log0);
      printf("alloc-test: 0 runs, 0 memory errors, 0 crashes, 0 leaks (scenario broken)\n");
      return 1;
    }
  }
  printf("alloc-test: clean run: %lu allocations, %d warnings\n", clean.count, clean.warnings);
  fflush(stdout);

  /* N = 1.. in both modes; stop once N is well past the scenario: the last
   * 50 `from` runs never reached N. The hard cap is twice the clean count. */
  Slot slots[64];
  int busy[64] = {0};
  unsigned long n = (unsigned long)offset, cap = clean.count * 2 + 100;
  int mode = MODE_ONCE, done_spawning = 0, active = 0;
  while (!done_spawning || active > 0) {
    for (int i = 0; i < jobs && !done_spawning; i++) {
      if (busy[i]) continue;
      spawn(&slots[i], &a, n, mode, logdir, i);
      busy[i] = 1;
      active++;
      if (mode == MODE_ONCE) mode = MODE_FROM;
      else { mode = MODE_ONCE; n += (unsigned long)stride; }
      if (n > cap || (n > clean.count && from_clean_streak >= 50)) done_spawning = 1;
    }
    /* wait for any child, then reap the slot it belonged to */
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < jobs; i++) {
      if (busy[i] && slots[i].pid == pid) {
        reap(&slots[i], status, logdir, i);
        busy[i] = 0;
        active--;
        break;
      }
    }
  }

  unsigned long k = max_n_failed[MODE_FROM] > max_n_failed[MODE_ONCE] ? max_n_failed[MODE_FROM] : max_n_failed[MODE_ONCE];
  printf("alloc-test: K=%lu (clean run %lu allocations), stride %ld from N=%ld, %ld jobs; "
         "%lu ok, %lu memory errors, %lu other failures, %lu warnings from finalizers\n",
         k, clean.count, stride, offset, jobs, n_ok, n_mem, n_fail, n_warn);
  printf("alloc-test: mode once: %lu runs, %lu memory errors; mode from: %lu runs, %lu memory errors\n",
         by_mode_runs[MODE_ONCE], by_mode_mem[MODE_ONCE], by_mode_runs[MODE_FROM], by_mode_mem[MODE_FROM]);
  printf("alloc-test: %lu runs, %lu memory errors, %lu crashes, %lu leaks%s\n", runs, n_mem, n_crash,
         n_leak, n_fail ? " (FAILURES above)" : "");
  return (n_crash || n_leak || n_fail) ? 1 : 0;
}
