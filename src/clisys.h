/* clisys.h - the OS facilities the command line needs (see clisys.c). */
#ifndef SHOPLIVE_CLISYS_H
#define SHOPLIVE_CLISYS_H

#include "compat.h"

/* Add core.sigint_catch, core.sigint_count, core.sigint_release and
 * core.sigint_sleep and core.file_kind to the table on top of the stack. */
void sl_clisys_register(lua_State *L);

#endif
