/* libpq.c - luaopen_shoplive_libpq: a thin binding of PostgreSQL's libpq for
 * the store (lua/shoplive/store/postgres.lua), with the same shape as
 * sqlite3.c: open/close, exec, prepared statements with bound parameters,
 * int64 and length-counted bytes in and out, rows. Transactions are plain
 * SQL. Runtime failures return nil, message, code (the SQLSTATE, or
 * "connect" when the server cannot be reached or refuses the login); misuse
 * raises.
 *
 * This module is optional: it is built only when pkg-config finds libpq, so
 * the core and the SQLite store never depend on it.
 *
 * Parameters: nil -> NULL; integer -> its decimal text; float -> "%.17g";
 * boolean -> "1"/"0"; string -> its exact bytes in BINARY format with the
 * type left to the server, so a bytea column receives NULs and every byte
 * unchanged (the SQL may cast: $1::text::bigint reads digits). Results come
 * in binary format: int2/4/8, oid -> integers (dbval.h), float4/8 -> numbers,
 * bool -> booleans, everything else (text, varchar, bytea, ...) -> the raw
 * bytes as a string. Cast numeric results to bigint or float8 in SQL.
 *
 * Memory: parameter arrays live in a userdata on the Lua stack, so a raise
 * frees them through the GC. A PGresult is always owned by a Stmt (or cleared
 * before anything that can raise).
 *
 * Waiting: every statement is sent with libpq's asynchronous
 * API and its answer awaited by poll() in short slices, so a stalled server
 * (or network) cannot hang the caller: past db:set_timeout's bound, or when
 * db:set_interrupt's function says so (Ctrl-C), the query is cancelled and,
 * if the server does not answer that either, the connection is dropped.
 * Those failures have the codes "timeout" (also the server's own
 * statement_timeout, SQLSTATE 57014) and "interrupted"; once dropped,
 * every call returns nil, the reason, "connect".
 */
#include "../compat.h"
#include "db_common.h"
#include "dbval.h"

#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DB_MT "shoplive.libpq.db"
#define STMT_MT "shoplive.libpq.stmt"

typedef struct {
  PGconn *conn;
  unsigned long next_id;
  int interrupt_ref; /* db:set_interrupt's function, or LUA_NOREF */
  int timeout_ms;    /* db:set_timeout's bound on a statement; 0: none */
  const char *lost;  /* why the connection was dropped, or NULL */
} Db;

/* The wait for the server past the statement timeout before the client
 * gives up: the server's own statement_timeout answers first when it can,
 * which leaves the connection usable. */
#define GRACE_MS 1000
/* How long a cancel request (and then the answer to it) may take. */
#define CANCEL_MS 1500
/* How often a wait asks the interrupt function. */
#define SLICE_MS 100

enum { WAIT_OK, WAIT_TIMEOUT, WAIT_INTERRUPTED, WAIT_BROKEN };

typedef struct {
  Db *db; /* kept alive by the uservalue */
  char name[32];
  PGresult *res; /* the last execution's rows, handed out by step() */
  int row;
  int live;
} Stmt;

static void quiet_notices(void *arg, const char *msg) {
  (void)arg;
  (void)msg;
}

/* The first line of a libpq message, without the trailing newline. */
static void push_message(lua_State *L, const char *msg) {
  size_t n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) n--;
  lua_pushlstring(L, msg, n);
}

static int fail_conn(lua_State *L, PGconn *c, const char *code) {
  lua_pushnil(L);
  push_message(L, c ? PQerrorMessage(c) : "out of memory");
  lua_pushstring(L, code);
  return 3;
}

/* Push nil, message, code for a wait that ended without an answer. */
static int fail_wait(lua_State *L, Db *d, int why) {
  lua_pushnil(L);
  if (why == WAIT_TIMEOUT) {
    lua_pushfstring(L, "no answer from the server within the statement timeout (%d ms); connection closed",
                    d->timeout_ms);
    lua_pushstring(L, "timeout");
  } else if (why == WAIT_INTERRUPTED) {
    lua_pushstring(L, "interrupted: the statement was cancelled");
    lua_pushstring(L, "interrupted");
  } else if (d->conn == NULL) {
    lua_pushstring(L, d->lost);
    lua_pushstring(L, "connect");
  } else {
    push_message(L, PQerrorMessage(d->conn));
    lua_pushstring(L, PQstatus(d->conn) != CONNECTION_OK ? "connect" : "error");
  }
  return 3;
}

/* Push nil, message, sqlstate for a failed result, then clear it. A
 * statement cancelled on our side (why) says so instead of "canceling
 * statement due to user request". */
static int fail_res(lua_State *L, Db *d, PGresult *res, int why) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res ? PQresultErrorMessage(res) : "";
  if (why != WAIT_OK || res == NULL) {
    PQclear(res);
    return fail_wait(L, d, why == WAIT_OK ? WAIT_BROKEN : why);
  }
  lua_pushnil(L);
  if (msg == NULL || *msg == '\0') msg = PQerrorMessage(d->conn);
  push_message(L, msg);
  if (state) lua_pushstring(L, strcmp(state, "57014") == 0 ? "timeout" : state);
  else if (PQstatus(d->conn) != CONNECTION_OK) lua_pushstring(L, "connect");
  else lua_pushstring(L, "error");
  PQclear(res);
  return 3;
}

/* Misuse (a handle closed by close()) raises; a connection dropped after a
 * timeout is not misuse: the methods return nil, reason, "connect". */
static Db *check_db(lua_State *L, int i) {
  Db *d = (Db *)luaL_checkudata(L, i, DB_MT);
  if (d->conn == NULL && d->lost == NULL) luaL_error(L, "libpq: connection is closed");
  return d;
}

static Stmt *check_stmt(lua_State *L, int i) {
  Stmt *s = (Stmt *)luaL_checkudata(L, i, STMT_MT);
  if (!s->live) luaL_error(L, "libpq: statement is finalized");
  if (s->db->conn == NULL && s->db->lost == NULL) luaL_error(L, "libpq: connection is closed");
  return s;
}

/* Ask the server to cancel the running statement. PQcancel (libpq 15 has
 * no other) blocks until the postmaster answers, for ever if it is stopped,
 * so it runs in a child process we wait CANCEL_MS for; PQcancel is
 * async-signal-safe, so a fork of this (threaded) process may call it. */
static void cancel_query(Db *d) {
  char err[256];
  PGcancel *c = PQgetCancel(d->conn);
  pid_t pid;
  int status, waited;
  if (c == NULL) return;
  pid = fork();
  if (pid == 0) _exit(PQcancel(c, err, (int)sizeof err) ? 0 : 1);
  PQfreeCancel(c);
  if (pid < 0) return;
  for (waited = 0; waited < CANCEL_MS; waited += 10) {
    struct timespec ts = {0, 10 * 1000000L};
    if (waitpid(pid, &status, WNOHANG) != 0) return;
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

/* Drop a connection whose server stopped answering: nothing more can be
 * read from it in order. PQfinish does not block (non-blocking mode). */
static void drop(Db *d, int why) {
  PQfinish(d->conn);
  d->conn = NULL;
  d->lost = why == WAIT_TIMEOUT ? "the connection was closed after a statement timed out"
                                : "the connection was closed after a statement was interrupted";
}

/* Wait up to ms (at most a slice) for the socket: 1 ready, 0 not (or a
 * signal came: the caller looks at the interrupt at once), -1 broken. */
static int wait_socket(Db *d, int want_write, double deadline) {
  struct pollfd p;
  double left = deadline - sl_db_now_ms();
  int ms = left < 0 ? 0 : left > SLICE_MS ? SLICE_MS : (int)left + 1, n;
  p.fd = PQsocket(d->conn);
  if (p.fd < 0) return -1;
  p.events = (short)(POLLIN | (want_write ? POLLOUT : 0));
  p.revents = 0;
  n = poll(&p, 1, ms);
  if (n < 0) return 0; /* EINTR */
  return n > 0 ? 1 : 0;
}

static int is_error(const PGresult *r) {
  ExecStatusType st = PQresultStatus(r);
  return st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
}

/* Await the answer to what was just sent: the result to report (the first
 * error, else the last) with *why WAIT_OK, or *why saying how the wait ended
 * (then the result, if any, is the server's answer to our cancel). */
static PGresult *await(lua_State *L, Db *d, int *why) {
  PGresult *keep = NULL, *r;
  double deadline = d->timeout_ms > 0 ? sl_db_now_ms() + d->timeout_ms + GRACE_MS : 1e300;
  int cancelled = WAIT_OK;
  *why = WAIT_OK;
  for (;;) {
    int flush = PQflush(d->conn), ready;
    if (flush < 0) break;
    if (flush == 0 && !PQisBusy(d->conn)) {
      r = PQgetResult(d->conn);
      if (r == NULL) {
        *why = cancelled;
        return keep;
      }
      if (keep && is_error(keep)) PQclear(r);
      else {
        PQclear(keep);
        keep = r;
      }
      continue;
    }
    ready = wait_socket(d, flush == 1, deadline);
    if (ready < 0 || (ready > 0 && !PQconsumeInput(d->conn))) break;
    if (ready > 0) continue;
    if (cancelled == WAIT_OK) {
      int stop = sl_db_interrupted(L, d->interrupt_ref) ? WAIT_INTERRUPTED
                 : sl_db_now_ms() >= deadline          ? WAIT_TIMEOUT
                                                       : WAIT_OK;
      if (stop == WAIT_OK) continue;
      cancel_query(d);
      cancelled = stop;
      deadline = sl_db_now_ms() + CANCEL_MS;
    } else if (sl_db_now_ms() >= deadline) {
      PQclear(keep);
      drop(d, cancelled);
      *why = cancelled;
      return NULL;
    }
  }
  PQclear(keep);
  *why = WAIT_BROKEN;
  return NULL;
}

/* The answer to a query just sent (sent: what PQsend* returned), or NULL
 * after pushing nil, msg, code (*nret = 3). */
static PGresult *answer(lua_State *L, Db *d, int sent, int *nret) {
  int why = WAIT_OK;
  PGresult *res;
  if (!sent) {
    *nret = fail_wait(L, d, WAIT_BROKEN);
    return NULL;
  }
  res = await(L, d, &why);
  /* a statement done before our cancel reached it counts as done */
  if (res == NULL || is_error(res)) {
    *nret = fail_res(L, d, res, why);
    return NULL;
  }
  return res;
}

/* Drive PQconnectPoll to the end: WAIT_OK, or how the attempt ended.
 * libpq does not enforce connect_timeout in this mode: deadline does. */
static int connect_wait(lua_State *L, Db *d, double deadline) {
  PostgresPollingStatusType st = PGRES_POLLING_WRITING; /* what the docs say to start with */
  for (;;) {
    struct pollfd p;
    double left = deadline - sl_db_now_ms();
    if (st == PGRES_POLLING_OK) return WAIT_OK;
    if (st == PGRES_POLLING_FAILED) return WAIT_BROKEN;
    if (left <= 0) return WAIT_TIMEOUT;
    p.fd = PQsocket(d->conn); /* it may change between attempts */
    if (p.fd < 0) return WAIT_BROKEN;
    p.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    p.revents = 0;
    if (poll(&p, 1, left > SLICE_MS ? SLICE_MS : (int)left + 1) > 0) st = PQconnectPoll(d->conn);
    else if (sl_db_interrupted(L, d->interrupt_ref)) return WAIT_INTERRUPTED;
  }
}

/* libpq.open(conninfo, timeout_ms, interrupt) -> db | nil, msg, code.
 * The connection is made without blocking: a server that accepts the TCP
 * connection and then says nothing (stopped) fails it after timeout_ms (code
 * "connect"), and interrupt() returning true ends it (code "interrupted"). */
static int l_open(lua_State *L) {
  const char *info = luaL_checkstring(L, 1);
  lua_Integer ms = luaL_checkinteger(L, 2);
  Db *d;
  int why;
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TFUNCTION);
  /* slot 3 is the interrupt or nil, never the object pushed next */
  lua_settop(L, 3);
  d = (Db *)sl_db_newobject(L, sizeof *d, DB_MT);
  d->interrupt_ref = LUA_NOREF;
  sl_db_setref(L, &d->interrupt_ref, 3);
  d->conn = PQconnectStart(info);
  why = d->conn == NULL || PQstatus(d->conn) == CONNECTION_BAD ? WAIT_BROKEN
        : connect_wait(L, d, sl_db_now_ms() + (double)ms);
  if (why != WAIT_OK) {
    int n = 3;
    if (why == WAIT_BROKEN) fail_conn(L, d->conn, "connect");
    else {
      lua_pushnil(L);
      if (why == WAIT_TIMEOUT) lua_pushfstring(L, "no answer from the server within the connect timeout (%d ms)", (int)ms);
      else lua_pushstring(L, "interrupted while connecting");
      lua_pushstring(L, why == WAIT_TIMEOUT ? "connect" : "interrupted");
    }
    PQfinish(d->conn);
    d->conn = NULL;
    sl_db_unref(L, &d->interrupt_ref);
    return n;
  }
  PQsetNoticeProcessor(d->conn, quiet_notices, NULL);
  PQsetnonblocking(d->conn, 1);
  return 1;
}

static int db_close(lua_State *L) {
  Db *d = (Db *)luaL_checkudata(L, 1, DB_MT);
  if (d->conn) PQfinish(d->conn);
  d->conn = NULL;
  d->lost = NULL;
  sl_db_unref(L, &d->interrupt_ref);
  return 0;
}

/* db:set_timeout(ms): the bound on a statement's wait for the server (past
 * it, plus GRACE_MS, the statement fails with code "timeout"); 0: none. The
 * store also sets the server's statement_timeout to the same ms. */
static int db_set_timeout(lua_State *L) {
  Db *d = check_db(L, 1);
  lua_Integer ms = luaL_checkinteger(L, 2);
  luaL_argcheck(L, ms >= 0 && ms <= 0x7fffffff - GRACE_MS, 2, "milliseconds out of range");
  d->timeout_ms = (int)ms;
  return 0;
}

/* db:set_interrupt(fn | nil): fn() returning true cancels the statement
 * under way (code "interrupted"): the CLI's Ctrl-C. */
static int db_set_interrupt(lua_State *L) {
  Db *d = check_db(L, 1);
  sl_db_setref(L, &d->interrupt_ref, 2);
  return 0;
}

/* db:exec(sql) -> true | nil, msg, code. Several statements, no parameters. */
static int db_exec(lua_State *L) {
  Db *d = check_db(L, 1);
  const char *sql = luaL_checkstring(L, 2);
  int nret = 0;
  PGresult *res;
  if (d->conn == NULL) return fail_wait(L, d, WAIT_BROKEN);
  res = answer(L, d, PQsendQuery(d->conn, sql), &nret);
  if (res == NULL) return nret;
  PQclear(res);
  lua_pushboolean(L, 1);
  return 1;
}

/* db:prepare(sql) -> stmt | nil, msg, code */
static int db_prepare(lua_State *L) {
  Db *d = check_db(L, 1);
  const char *sql = luaL_checkstring(L, 2);
  Stmt *s;
  PGresult *res;
  int nret = 0;
  if (d->conn == NULL) return fail_wait(L, d, WAIT_BROKEN);
  s = (Stmt *)sl_db_newobject(L, sizeof *s, STMT_MT);
  s->db = d;
  snprintf(s->name, sizeof s->name, "sl_%lu", ++d->next_id);
  lua_pushvalue(L, 1);
  sl_setuservalue(L, -2);
  res = answer(L, d, PQsendPrepare(d->conn, s->name, sql, 0, NULL), &nret);
  if (res == NULL) return nret;
  PQclear(res);
  s->live = 1;
  return 1;
}

static int stmt_finalize(lua_State *L) {
  Stmt *s = (Stmt *)luaL_checkudata(L, 1, STMT_MT);
  PQclear(s->res);
  s->res = NULL;
  s->live = 0;
  return 0;
}

/* Execute s with the Lua values first..top as parameters. Returns the
 * result (owned by the caller) or NULL after pushing nil, msg, code. */
static PGresult *execute(lua_State *L, Stmt *s, int first, int *nret) {
  int top = lua_gettop(L), n = top - first + 1, i;
  const char **values;
  int *lengths, *formats;
  char *text;
  PGresult *res;
  int sent;
  if (n < 0) n = 0;
  if (s->db->conn == NULL) {
    *nret = fail_wait(L, s->db, WAIT_BROKEN);
    return NULL;
  }
  /* scratch owned by the GC: pointers, lengths, formats, 32 bytes of text each */
  values = (const char **)lua_newuserdata(L, (size_t)n * (sizeof(char *) + 2 * sizeof(int) + 32) + 1);
  lengths = (int *)(values + n);
  formats = lengths + n;
  text = (char *)(formats + n);
  for (i = 0; i < n; i++) {
    int idx = first + i;
    char *t = text + 32 * i;
    int64_t iv;
    lengths[i] = 0;
    formats[i] = 0;
    switch (lua_type(L, idx)) {
      case LUA_TNIL: values[i] = NULL; break;
      case LUA_TBOOLEAN: values[i] = lua_toboolean(L, idx) ? "1" : "0"; break;
      case LUA_TNUMBER:
        if (sl_db_toint64(L, idx, &iv)) snprintf(t, 32, "%lld", (long long)iv);
        else snprintf(t, 32, "%.17g", (double)lua_tonumber(L, idx));
        values[i] = t;
        break;
      case LUA_TSTRING: {
        size_t len;
        values[i] = lua_tolstring(L, idx, &len);
        if (len > 0x7fffffff) luaL_error(L, "libpq: parameter %d is too long", i + 1);
        lengths[i] = (int)len;
        formats[i] = 1;
        break;
      }
      default:
        luaL_error(L, "libpq: cannot bind parameter %d of type %s", i + 1, luaL_typename(L, idx));
    }
  }
  /* libpq copies the parameters into its output buffer */
  sent = PQsendQueryPrepared(s->db->conn, s->name, n, values, lengths, formats, 1);
  lua_pop(L, 1); /* the scratch */
  res = answer(L, s->db, sent, nret);
  return res;
}

static uint64_t be(const unsigned char *p, int n) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < n; i++) v = (v << 8) | p[i];
  return v;
}

/* Push row r of res as an array (NULL leaves a hole). Binary format. */
static void push_row(lua_State *L, const PGresult *res, int r) {
  int n = PQnfields(res), c;
  lua_createtable(L, n, 0);
  for (c = 0; c < n; c++) {
    const unsigned char *v;
    int len;
    if (PQgetisnull(res, r, c)) continue;
    v = (const unsigned char *)PQgetvalue(res, r, c);
    len = PQgetlength(res, r, c);
    switch (PQftype(res, c)) {
      case 16: lua_pushboolean(L, len == 1 && v[0] != 0); break; /* bool */
      case 20: sl_db_pushint64(L, (int64_t)be(v, 8)); break;     /* int8 */
      case 23: sl_db_pushint64(L, (int32_t)(uint32_t)be(v, 4)); break; /* int4 */
      case 26: sl_db_pushint64(L, (int64_t)(uint32_t)be(v, 4)); break; /* oid */
      case 21: sl_db_pushint64(L, (int16_t)(uint16_t)be(v, 2)); break; /* int2 */
      case 701: {                                                /* float8 */
        uint64_t u = be(v, 8);
        double d;
        memcpy(&d, &u, sizeof d);
        lua_pushnumber(L, d);
        break;
      }
      case 700: {                                                /* float4 */
        uint32_t u = (uint32_t)be(v, 4);
        float f;
        memcpy(&f, &u, sizeof f);
        lua_pushnumber(L, f);
        break;
      }
      default: lua_pushlstring(L, (const char *)v, (size_t)len); break;
    }
    lua_rawseti(L, -2, c + 1);
  }
}

/* stmt:bind(...) -> true | nil, msg, code: executes now; step() hands out
 * the rows. */
static int stmt_bind(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  int nret = 0;
  PGresult *res;
  PQclear(s->res);
  s->res = NULL;
  res = execute(L, s, 2, &nret);
  if (!res) return nret;
  s->res = res;
  s->row = 0;
  lua_pushboolean(L, 1);
  return 1;
}

/* stmt:step() -> row | false (no more rows) */
static int stmt_step(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  if (s->res == NULL || s->row >= PQntuples(s->res)) {
    PQclear(s->res);
    s->res = NULL;
    lua_pushboolean(L, 0);
    return 1;
  }
  push_row(L, s->res, s->row++);
  return 1;
}

/* stmt:run(...) -> rows affected | nil, msg, code */
static int stmt_run(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  int nret = 0;
  const char *n;
  PGresult *res = execute(L, s, 2, &nret);
  if (!res) return nret;
  n = PQcmdTuples(res);
  lua_pushinteger(L, (n && *n) ? (lua_Integer)strtoll(n, NULL, 10) : 0);
  PQclear(res);
  return 1;
}

/* stmt:rows(...) -> array of rows | nil, msg, code */
static int stmt_rows(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  int nret = 0, r, nt;
  PGresult *res;
  PQclear(s->res);
  s->res = NULL;
  res = execute(L, s, 2, &nret);
  if (!res) return nret;
  s->res = res; /* owned by the statement while rows are pushed (may raise) */
  nt = PQntuples(res);
  lua_createtable(L, nt, 0);
  for (r = 0; r < nt; r++) {
    push_row(L, res, r);
    lua_rawseti(L, -2, r + 1);
  }
  PQclear(s->res);
  s->res = NULL;
  return 1;
}

static const luaL_Reg db_methods[] = {
  {"close", db_close}, {"exec", db_exec}, {"prepare", db_prepare},
  {"set_timeout", db_set_timeout}, {"set_interrupt", db_set_interrupt}, {NULL, NULL}
};

static const luaL_Reg stmt_methods[] = {
  {"finalize", stmt_finalize}, {"bind", stmt_bind}, {"step", stmt_step},
  {"run", stmt_run}, {"rows", stmt_rows}, {NULL, NULL}
};

static const luaL_Reg funcs[] = {{"open", l_open}, {NULL, NULL}};

#ifndef SHOPLIVE_VISIBLE
#define SHOPLIVE_VISIBLE __attribute__((visibility("default")))
#endif

SHOPLIVE_VISIBLE int luaopen_shoplive_libpq(lua_State *L);
SHOPLIVE_VISIBLE int luaopen_shoplive_libpq(lua_State *L) {
  sl_db_newclass(L, DB_MT, db_methods, db_close);
  sl_db_newclass(L, STMT_MT, stmt_methods, stmt_finalize);
  sl_newlib(L, funcs);
  lua_pushinteger(L, PQlibVersion());
  lua_setfield(L, -2, "version");
  return 1;
}
