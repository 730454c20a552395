#ifndef SHOPLIVE_SYS_H
#define SHOPLIVE_SYS_H
#include "compat.h"
/* Add core.now, core.sleep, core.getdate, core.isatty and core.term_columns
 * to the table on top of the stack. */
void sl_sys_register(lua_State *L);
#endif
