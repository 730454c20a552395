/* sigint.h - Ctrl-C as a flag for the command line (see sigint.c). */
#ifndef SHOPLIVE_SIGINT_H
#define SHOPLIVE_SIGINT_H

#include "compat.h"

/* Add core.sigint_catch, core.sigint_count, core.sigint_release and
 * core.sigint_sleep to the table on top of the stack. */
void sl_sigint_register(lua_State *L);

#endif
