/* Private to the cli module: one entry point per subcommand, each in its own file.
 * Each takes the arguments after the subcommand name (argv[0] is the subcommand) and
 * returns an exit status (enum sl_exit). */
#ifndef SOCKLOCK_CLI_INT_H
#define SOCKLOCK_CLI_INT_H

#include "socklock/policy.h"

int sl_cli_serve(int argc, char **argv); /* cli_serve.c */
int sl_cli_certs(int argc, char **argv); /* cli_serve.c */
int sl_cli_check(int argc, char **argv); /* cli_check.c */

/* Loads the policy file at path, or the embedded default when path is NULL. Prints the
 * error (FILE:LINE:COLUMN: message) and returns NULL on failure. Caller frees. */
struct sl_policy *sl_cli_load_policy(const char *path);

#endif
