/* Private to the cli module: the subcommands, each in its own file, and the helpers they
 * share (cli_util.c). cli.c only dispatches. */
#ifndef SOCKLOCK_CLI_INT_H
#define SOCKLOCK_CLI_INT_H

#include <getopt.h>
#include <stdio.h>

#include "socklock/common.h"
#include "socklock/policy.h"

/* One subcommand. run() takes the arguments after "socklock" (argv[0] is the subcommand's
 * name) and returns an exit status (enum sl_exit). */
struct cli_command {
    const char *name;
    const char *synopsis; /* its options, shown after "socklock NAME" */
    const char *summary;  /* one line for the command list */
    const char *help;     /* more lines for `socklock NAME --help`, or NULL */
    int (*run)(int argc, char **argv);
};

extern const struct cli_command cli_serve;  /* serve.c */
extern const struct cli_command cli_review; /* review.c */
extern const struct cli_command cli_check;  /* check.c */
extern const struct cli_command cli_fix;    /* fix.c */
extern const struct cli_command cli_policy; /* policy.c */
extern const struct cli_command cli_certs;  /* certs.c */
extern const struct cli_command cli_netmap; /* netmap.c */

/* Prints cmd's usage, after "socklock NAME: message" when fmt is not NULL. On stdout (asked
 * for with --help) it returns SL_EXIT_OK, on stderr (a usage error) SL_EXIT_ERROR. The one
 * place a subcommand's usage is printed; cli.c lists the commands. */
int cli_usage(const struct cli_command *cmd, FILE *out, const char *fmt, ...) SL_PRINTF(3, 4);

/* Parses argv with getopt_long for cmd: `shortopts` must start with ':' and hold "h";
 * `longopts` must include {"help", no_argument, NULL, 'h'}. Returns the next option's value
 * as getopt_long does, -1 at the end; on --help it prints the usage on stdout and returns
 * 'h'; on an unknown option or a missing value it prints a usage error and returns '?'. */
int cli_getopt(const struct cli_command *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* Parses a decimal integer from min to max; SL_E_USAGE otherwise. */
enum sl_status cli_parse_uint(const char *s, unsigned long min, unsigned long max,
                              unsigned long *out);

/* Prints "socklock: FILE:LINE:COLUMN: message" (the parts known) on stderr. */
void cli_print_error(const struct sl_error *err);

/* Reads and parses the policy file at path (at most 1 MiB). Fails with SL_E_IO (err names
 * the file), SL_E_LIMIT or SL_E_INVALID (err has FILE:LINE:COLUMN). Caller frees *out with
 * sl_policy_free(). */
enum sl_status cli_read_policy(const char *path, struct sl_policy **out, struct sl_error *err);

/* Loads the policy file at path, or the embedded default when path is NULL, and prints its
 * warnings on stderr. On failure it prints the error and returns NULL. Caller frees with
 * sl_policy_free(). */
struct sl_policy *cli_load_policy(const char *path);

#endif
