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
 */
#include "../compat.h"
#include "db_common.h"
#include "dbval.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_MT "shoplive.libpq.db"
#define STMT_MT "shoplive.libpq.stmt"

typedef struct {
  PGconn *conn;
  unsigned long next_id;
} Db;

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

/* Push nil, message, sqlstate for a failed result, then clear it. */
static int fail_res(lua_State *L, Db *d, PGresult *res) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res ? PQresultErrorMessage(res) : "";
  lua_pushnil(L);
  if (msg == NULL || *msg == '\0') msg = PQerrorMessage(d->conn);
  push_message(L, msg);
  if (state) lua_pushstring(L, state);
  else if (PQstatus(d->conn) != CONNECTION_OK) lua_pushstring(L, "connect");
  else lua_pushstring(L, "error");
  PQclear(res);
  return 3;
}

static Db *check_db(lua_State *L, int i) {
  Db *d = (Db *)luaL_checkudata(L, i, DB_MT);
  if (d->conn == NULL) luaL_error(L, "libpq: connection is closed");
  return d;
}

static Stmt *check_stmt(lua_State *L, int i) {
  Stmt *s = (Stmt *)luaL_checkudata(L, i, STMT_MT);
  if (!s->live) luaL_error(L, "libpq: statement is finalized");
  if (s->db->conn == NULL) luaL_error(L, "libpq: connection is closed");
  return s;
}

/* libpq.open(conninfo) -> db | nil, msg, "connect" */
static int l_open(lua_State *L) {
  const char *info = luaL_checkstring(L, 1);
  Db *d = (Db *)sl_db_newobject(L, sizeof *d, DB_MT);
  d->conn = PQconnectdb(info);
  if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK) {
    int n = fail_conn(L, d->conn, "connect");
    PQfinish(d->conn);
    d->conn = NULL;
    return n;
  }
  PQsetNoticeProcessor(d->conn, quiet_notices, NULL);
  return 1;
}

static int db_close(lua_State *L) {
  Db *d = (Db *)luaL_checkudata(L, 1, DB_MT);
  if (d->conn) {
    PQfinish(d->conn);
    d->conn = NULL;
  }
  return 0;
}

/* db:exec(sql) -> true | nil, msg, code. Several statements, no parameters. */
static int db_exec(lua_State *L) {
  Db *d = check_db(L, 1);
  const char *sql = luaL_checkstring(L, 2);
  PGresult *res = PQexec(d->conn, sql);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return fail_res(L, d, res);
  PQclear(res);
  lua_pushboolean(L, 1);
  return 1;
}

/* db:prepare(sql) -> stmt | nil, msg, code */
static int db_prepare(lua_State *L) {
  Db *d = check_db(L, 1);
  const char *sql = luaL_checkstring(L, 2);
  Stmt *s = (Stmt *)sl_db_newobject(L, sizeof *s, STMT_MT);
  PGresult *res;
  s->db = d;
  snprintf(s->name, sizeof s->name, "sl_%lu", ++d->next_id);
  lua_pushvalue(L, 1);
  sl_setuservalue(L, -2);
  res = PQprepare(d->conn, s->name, sql, 0, NULL);
  if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) return fail_res(L, d, res);
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
  ExecStatusType st;
  if (n < 0) n = 0;
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
  res = PQexecPrepared(s->db->conn, s->name, n, values, lengths, formats, 1);
  lua_pop(L, 1); /* the scratch */
  st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    *nret = fail_res(L, s->db, res);
    return NULL;
  }
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
  {"close", db_close}, {"exec", db_exec}, {"prepare", db_prepare}, {NULL, NULL}
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
