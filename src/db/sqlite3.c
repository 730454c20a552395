/* sqlite3.c - luaopen_shoplive_sqlite3: a thin binding of the SQLite C
 * library for the store (lua/shoplive/store/sqlite.lua). Mechanism only:
 * open/close, exec, prepared statements with bound parameters, int64 and
 * length-counted text in and out (NUL-safe), rows. Transactions are plain SQL
 * (BEGIN/COMMIT). Runtime failures return nil, message, code (the SQLite
 * primary result code name: "full", "readonly", "notadb", "busy", ...);
 * misuse (a closed handle, a bad argument) raises.
 *
 * Lifetimes (lfs-style): the userdata is created with its metatable before
 * the handle it owns is opened, so a failure in between leaks nothing. One
 * idempotent close serves close(), __gc and __close. A statement keeps its
 * connection's userdata alive through its uservalue; the connection is closed
 * with sqlite3_close_v2, which defers the real close until the last statement
 * is finalized, so the two finalizers may run in either order.
 */
#include "../compat.h"
#include "db_common.h"
#include "dbval.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define DB_MT "shoplive.sqlite3.db"
#define STMT_MT "shoplive.sqlite3.stmt"

/* Why the busy handler last gave up. */
enum { BUSY_WAITING, BUSY_TIMEOUT, BUSY_INTERRUPTED };

typedef struct {
  sqlite3 *db;
  lua_State *L;      /* the thread of the call under way: the busy handler's */
  int interrupt_ref; /* db:set_interrupt's function, or LUA_NOREF */
  int busy_ms;       /* how long to wait for another connection's lock */
  int busy_why;
  double busy_start;
} Db;

typedef struct {
  sqlite3_stmt *st;
  Db *db; /* kept alive by the uservalue */
} Stmt;

static const char *code_name(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY: return "busy";
    case SQLITE_LOCKED: return "locked";
    case SQLITE_NOMEM: return "nomem";
    case SQLITE_READONLY: return "readonly";
    case SQLITE_IOERR: return "ioerr";
    case SQLITE_CORRUPT: return "corrupt";
    case SQLITE_FULL: return "full";
    case SQLITE_CANTOPEN: return "cantopen";
    case SQLITE_CONSTRAINT: return "constraint";
    case SQLITE_NOTADB: return "notadb";
    case SQLITE_PERM: return "perm";
    case SQLITE_AUTH: return "auth";
    default: return "error";
  }
}

/* Push nil, message, code name; returns 3. msg is copied before return.
 * A lock wait the busy handler ended says why: "timeout" or "interrupted". */
static int fail(lua_State *L, Db *d, int rc) {
  lua_pushnil(L);
  if ((rc & 0xff) == SQLITE_BUSY && d && d->busy_why == BUSY_TIMEOUT) {
    lua_pushfstring(L, "database is locked: another connection held the lock for the whole timeout (%d ms)",
                    d->busy_ms);
    lua_pushstring(L, "timeout");
    return 3;
  }
  if ((rc & 0xff) == SQLITE_BUSY && d && d->busy_why == BUSY_INTERRUPTED) {
    lua_pushstring(L, "interrupted while waiting for another connection's lock on the database");
    lua_pushstring(L, "interrupted");
    return 3;
  }
  if (d && d->db) lua_pushstring(L, sqlite3_errmsg(d->db));
  else lua_pushstring(L, sqlite3_errstr(rc));
  lua_pushstring(L, code_name(rc));
  return 3;
}

/* Every method that can wait for a lock passes through here (or
 * check_stmt): the busy handler runs on the caller's thread. */
static Db *check_db(lua_State *L, int i) {
  Db *d = (Db *)luaL_checkudata(L, i, DB_MT);
  if (d->db == NULL) luaL_error(L, "sqlite3: database is closed");
  d->L = L;
  d->busy_why = BUSY_WAITING;
  return d;
}

static Stmt *check_stmt(lua_State *L, int i) {
  Stmt *s = (Stmt *)luaL_checkudata(L, i, STMT_MT);
  if (s->st == NULL) luaL_error(L, "sqlite3: statement is finalized");
  if (s->db->db == NULL) luaL_error(L, "sqlite3: database is closed");
  s->db->L = L;
  s->db->busy_why = BUSY_WAITING;
  return s;
}

/* SQLite's busy handler: wait for another connection's lock in short naps,
 * up to busy_ms, asking the interrupt function between them.
 * sqlite3_busy_timeout would sleep through a Ctrl-C for the whole timeout. */
static int on_busy(void *arg, int count) {
  Db *d = (Db *)arg;
  double now = sl_db_now_ms(), left;
  int nap = count < 10 ? 1 + 5 * count : 50;
  if (count == 0) d->busy_start = now;
  if (sl_db_interrupted(d->L, d->interrupt_ref)) {
    d->busy_why = BUSY_INTERRUPTED;
    return 0;
  }
  left = (double)d->busy_ms - (now - d->busy_start);
  if (left <= 0) {
    d->busy_why = BUSY_TIMEOUT;
    return 0;
  }
  if (nap > left) nap = (int)left + 1;
  sqlite3_sleep(nap);
  return 1;
}

/* sqlite3.open(path, flags) -> db | nil, msg, code.
 * flags: "rwc" (default: read, write, create), "rw", "ro".
 * SQLITE_OPEN_NOMUTEX (multi-thread mode, not serialized): SQLite then
 * takes no mutex per call (per column read: about 5 % of a report of a
 * million stored livestreams). That is safe because a connection is only
 * ever used by the Lua VM that opened it, one call at a time: its userdata
 * cannot leave that VM, this module starts no thread, and the busy
 * handler and interrupt function run in the calling thread. Inside nginx
 * (store/offload_task.lua) each thread-pool VM opens its own connections;
 * lua-nginx-module lends a VM to one task at a time and may hand it to
 * another pool thread for the next task, which multi-thread mode allows
 * (a connection must not be used by two threads at the same time). */
static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *mode = luaL_optstring(L, 2, "rwc");
  int flags = SQLITE_OPEN_NOMUTEX, rc;
  Db *d;
  if (strcmp(mode, "rwc") == 0) flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  else if (strcmp(mode, "rw") == 0) flags |= SQLITE_OPEN_READWRITE;
  else if (strcmp(mode, "ro") == 0) flags |= SQLITE_OPEN_READONLY;
  else return luaL_argerror(L, 2, "expected \"rwc\", \"rw\" or \"ro\"");
  d = (Db *)sl_db_newobject(L, sizeof *d, DB_MT);
  d->interrupt_ref = LUA_NOREF;
  rc = sqlite3_open_v2(path, &d->db, flags, NULL);
  if (rc != SQLITE_OK) {
    int n = fail(L, d, rc); /* copies the message before the close */
    sqlite3_close_v2(d->db);
    d->db = NULL;
    return n;
  }
  sqlite3_extended_result_codes(d->db, 0);
  return 1;
}

static int db_close(lua_State *L) {
  Db *d = (Db *)luaL_checkudata(L, 1, DB_MT);
  if (d->db) {
    d->L = L; /* the closing thread, should the close wait for a lock */
    sqlite3_close_v2(d->db);
    d->db = NULL;
    d->L = NULL;
    sl_db_unref(L, &d->interrupt_ref);
  }
  return 0;
}

/* db:exec(sql) -> true | nil, msg, code. Several statements, no parameters. */
static int db_exec(lua_State *L) {
  Db *d = check_db(L, 1);
  const char *sql = luaL_checkstring(L, 2);
  int rc = sqlite3_exec(d->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) return fail(L, d, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* db:busy_timeout(ms): how long a statement waits for another
 * connection's lock before it fails with code "timeout". */
static int db_busy_timeout(lua_State *L) {
  Db *d = check_db(L, 1);
  lua_Integer ms = luaL_checkinteger(L, 2);
  luaL_argcheck(L, ms >= 0 && ms <= 0x7fffffff, 2, "milliseconds out of range");
  d->busy_ms = (int)ms;
  sqlite3_busy_handler(d->db, on_busy, d);
  return 0;
}

/* db:set_interrupt(fn | nil): fn() returning true ends a lock wait with code
 * "interrupted" (the CLI's Ctrl-C). */
static int db_set_interrupt(lua_State *L) {
  Db *d = check_db(L, 1);
  sl_db_setref(L, &d->interrupt_ref, 2);
  return 0;
}

/* db:readonly() -> true when the file could only be opened read-only */
static int db_readonly(lua_State *L) {
  Db *d = check_db(L, 1);
  lua_pushboolean(L, sqlite3_db_readonly(d->db, "main") == 1);
  return 1;
}

/* db:changes() -> rows changed by the last statement */
static int db_changes(lua_State *L) {
  Db *d = check_db(L, 1);
  lua_pushinteger(L, sqlite3_changes(d->db));
  return 1;
}

/* db:prepare(sql) -> stmt | nil, msg, code */
static int db_prepare(lua_State *L) {
  Db *d = check_db(L, 1);
  size_t len;
  const char *sql = luaL_checklstring(L, 2, &len);
  Stmt *s = (Stmt *)sl_db_newobject(L, sizeof *s, STMT_MT);
  int rc;
  s->db = d;
  lua_pushvalue(L, 1);
  sl_setuservalue(L, -2);
  rc = sqlite3_prepare_v2(d->db, sql, (int)len, &s->st, NULL);
  if (rc != SQLITE_OK) return fail(L, d, rc);
  return 1;
}

static int stmt_finalize(lua_State *L) {
  Stmt *s = (Stmt *)luaL_checkudata(L, 1, STMT_MT);
  if (s->st) {
    sqlite3_finalize(s->st);
    s->st = NULL;
  }
  return 0;
}

/* Bind Lua values first..top as parameters 1..n (nil = NULL, boolean = 0/1,
 * integer = int64, float = double, string = text with its length). Returns
 * SQLITE_OK or an error code. Raises for a value of another type.
 * Strings are copied (SQLITE_TRANSIENT) unless keep is SQLITE_STATIC: then
 * SQLite reads the Lua strings in place, which only run() asks for: its
 * arguments stay on the stack until it returns, it allocates nothing from Lua
 * while they are bound, and it clears the bindings before anything can raise
 * (a page's upsert binds ~200 values and a body of several KiB: no copies). */
static int bind_args(lua_State *L, sqlite3_stmt *st, int first, sqlite3_destructor_type keep) {
  int top = lua_gettop(L), i, rc = SQLITE_OK;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (top - first + 1 > sqlite3_bind_parameter_count(st)) {
    luaL_error(L, "sqlite3: %d parameters given, statement takes %d", top - first + 1,
               sqlite3_bind_parameter_count(st));
  }
  for (i = first; i <= top && rc == SQLITE_OK; i++) {
    int p = i - first + 1;
    int64_t iv;
    switch (lua_type(L, i)) {
      case LUA_TNIL: rc = sqlite3_bind_null(st, p); break;
      case LUA_TBOOLEAN: rc = sqlite3_bind_int(st, p, lua_toboolean(L, i)); break;
      case LUA_TNUMBER:
        if (sl_db_toint64(L, i, &iv)) rc = sqlite3_bind_int64(st, p, (sqlite3_int64)iv);
        else rc = sqlite3_bind_double(st, p, lua_tonumber(L, i));
        break;
      case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        rc = sqlite3_bind_text64(st, p, s, (sqlite3_uint64)len, keep, SQLITE_UTF8);
        break;
      }
      default:
        sqlite3_clear_bindings(st);
        return luaL_error(L, "sqlite3: cannot bind parameter %d of type %s", p, luaL_typename(L, i));
    }
  }
  return rc;
}

/* Push the current row as an array (NULL leaves a hole; ncol is known). */
static void push_row(lua_State *L, sqlite3_stmt *st) {
  int n = sqlite3_column_count(st), c;
  lua_createtable(L, n, 0);
  for (c = 0; c < n; c++) {
    switch (sqlite3_column_type(st, c)) {
      case SQLITE_INTEGER: sl_db_pushint64(L, (int64_t)sqlite3_column_int64(st, c)); break;
      case SQLITE_FLOAT: lua_pushnumber(L, sqlite3_column_double(st, c)); break;
      case SQLITE_NULL: continue;
      default: {
        /* text and blob alike: the exact bytes, NULs included */
        const char *s = (const char *)sqlite3_column_blob(st, c);
        int len = sqlite3_column_bytes(st, c);
        lua_pushlstring(L, s ? s : "", (size_t)len);
        break;
      }
    }
    lua_rawseti(L, -2, c + 1);
  }
}

/* stmt:bind(...) -> true | nil, msg, code: resets and binds for step(). */
static int stmt_bind(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  int rc = bind_args(L, s->st, 2, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) return fail(L, s->db, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* stmt:step() -> row (array) | false (done) | nil, msg, code */
static int stmt_step(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  int rc = sqlite3_step(s->st);
  if (rc == SQLITE_ROW) {
    push_row(L, s->st);
    return 1;
  }
  if (rc == SQLITE_DONE) {
    sqlite3_reset(s->st);
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_settop(L, 1);
  fail(L, s->db, rc);
  sqlite3_reset(s->st);
  return 3;
}

/* stmt:run(...) -> changes | nil, msg, code: bind, step to the end. */
static int stmt_run(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  int rc = bind_args(L, s->st, 2, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    do rc = sqlite3_step(s->st); while (rc == SQLITE_ROW);
  }
  sqlite3_clear_bindings(s->st); /* no pointer into the Lua strings outlives this call */
  if (rc != SQLITE_DONE) {
    fail(L, s->db, rc);
    sqlite3_reset(s->st);
    return 3;
  }
  sqlite3_reset(s->st);
  lua_pushinteger(L, sqlite3_changes(s->db->db));
  return 1;
}

/* stmt:rows(...) -> array of rows | nil, msg, code: bind, collect all. */
static int stmt_rows(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  int rc = bind_args(L, s->st, 2, SQLITE_TRANSIENT), n = 0;
  if (rc != SQLITE_OK) return fail(L, s->db, rc);
  lua_newtable(L);
  while ((rc = sqlite3_step(s->st)) == SQLITE_ROW) {
    push_row(L, s->st);
    lua_rawseti(L, -2, ++n);
  }
  if (rc != SQLITE_DONE) {
    fail(L, s->db, rc);
    sqlite3_reset(s->st);
    return 3;
  }
  sqlite3_reset(s->st);
  return 1;
}

/* stmt:columns() -> array of column names */
static int stmt_columns(lua_State *L) {
  Stmt *s = check_stmt(L, 1);
  int n = sqlite3_column_count(s->st), c;
  lua_createtable(L, n, 0);
  for (c = 0; c < n; c++) {
    lua_pushstring(L, sqlite3_column_name(s->st, c));
    lua_rawseti(L, -2, c + 1);
  }
  return 1;
}

static const luaL_Reg db_methods[] = {
  {"close", db_close}, {"exec", db_exec}, {"prepare", db_prepare},
  {"busy_timeout", db_busy_timeout}, {"changes", db_changes}, {"readonly", db_readonly},
  {"set_interrupt", db_set_interrupt},
  {NULL, NULL}
};

static const luaL_Reg stmt_methods[] = {
  {"finalize", stmt_finalize}, {"bind", stmt_bind}, {"step", stmt_step},
  {"run", stmt_run}, {"rows", stmt_rows}, {"columns", stmt_columns}, {NULL, NULL}
};

/* sqlite3.mkdir(path) -> true | nil, msg: one directory (0700 below the
 * umask), true when it already exists. The store creates its default
 * directory with it; the library has no portable way to do that itself. */
static int l_mkdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat sb;
  if (mkdir(path, 0700) == 0 || (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lua_pushstring(L, strerror(errno == EEXIST ? ENOTDIR : errno));
  return 2;
}

static const luaL_Reg funcs[] = {{"open", l_open}, {"mkdir", l_mkdir}, {NULL, NULL}};

#ifndef SHOPLIVE_VISIBLE
#define SHOPLIVE_VISIBLE __attribute__((visibility("default")))
#endif

SHOPLIVE_VISIBLE int luaopen_shoplive_sqlite3(lua_State *L);
SHOPLIVE_VISIBLE int luaopen_shoplive_sqlite3(lua_State *L) {
  sl_db_newclass(L, DB_MT, db_methods, db_close);
  sl_db_newclass(L, STMT_MT, stmt_methods, stmt_finalize);
  sl_newlib(L, funcs);
  lua_pushstring(L, sqlite3_libversion());
  lua_setfield(L, -2, "version");
  return 1;
}
