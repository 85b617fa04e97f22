/* cli: the command line's front door. It checks the check table, installs the allocators,
 * and hands the arguments to the subcommand named first; each subcommand lives in its own
 * file (serve.c, review.c, check.c, fix.c, netmap.c, policy.c, certs.c) and returns its exit status
 * (0 success, 1 `check` found denied objects or `fix` left work, 2 usage, parse, policy or I/O
 * error). Only this module decides how the process exits. */
#include "socklock/cli.h"

#include <stdio.h>
#include <string.h>

#include "cli_int.h"
#include "socklock/alloc.h"
#include "socklock/pss.h"

static const struct cli_command *const commands[] = {
    &cli_serve, &cli_review, &cli_check, &cli_fix, &cli_netmap, &cli_policy, &cli_certs,
};

/* The list of commands: on stdout for --help (exit 0), on stderr after a message. */
static int usage(FILE *out, const char *what, const char *arg)
{
    if (what != NULL)
        fprintf(out, "socklock: %s%s%s%s\n", what, arg ? " \"" : "", arg ? arg : "",
                arg ? "\"" : "");
    fputs("usage: socklock COMMAND [OPTIONS]\n\ncommands:\n", out);
    for (size_t i = 0; i < SL_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-7s %s\n          %s\n", commands[i]->name, commands[i]->synopsis,
                commands[i]->summary);
    fputs("  version print the version\n\n"
          "`socklock COMMAND --help` says more about a command.\n",
          out);
    return out == stdout ? SL_EXIT_OK : SL_EXIT_ERROR;
}

int sl_cli_main(int argc, char **argv)
{
    sl_alloc_init();
    struct sl_error err = {0};
    if (sl_pss_table_check(&err) != SL_OK) {
        fprintf(stderr, "socklock: internal error in the check table: %s\n", err.msg);
        return SL_EXIT_ERROR;
    }
    if (argc < 2)
        return usage(stderr, "no command given", NULL);
    const char *name = argv[1];
    for (size_t i = 0; i < SL_ARRAY_LEN(commands); i++) {
        if (strcmp(name, commands[i]->name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    }
    if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
        printf("socklock %s\n", SOCKLOCK_VERSION);
        return SL_EXIT_OK;
    }
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return usage(stdout, NULL, NULL);
    return usage(stderr, "unknown command", name);
}
