/* clisys.h - the OS facilities of the command line (see clisys.c), built
 * as the module shoplive.clisys, never into the core. */
#ifndef SHOPLIVE_CLISYS_H
#define SHOPLIVE_CLISYS_H

#include "compat.h"

/* SIGINTs received since clisys.sigint_catch() (0 before it). For C code
 * inside clisys.so; any other module gets an interrupt check as a Lua
 * function (the client's `interrupt` option), not by linking to this. */
int sl_clisys_sigint_count(void);

#endif
