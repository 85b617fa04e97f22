/* policy: `socklock policy`, a policy file validated (errors as FILE:LINE:COLUMN) and the
 * effective policy printed, defaults filled in; without a file, the embedded default. */
#include "cli_int.h"

#include <stdlib.h>

#include "socklock/cli.h"

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = cli_getopt(&cli_policy, argc, argv, ":h", opts)) != -1) {
        if (c == 'h')
            return SL_EXIT_OK;
        return SL_EXIT_ERROR;
    }
    if (argc - optind > 1)
        return cli_usage(&cli_policy, stderr, "one FILE at most");
    struct sl_policy *pol = cli_load_policy(optind < argc ? argv[optind] : NULL);
    if (pol == NULL)
        return SL_EXIT_ERROR;
    char *text = sl_policy_dump(pol);
    fputs(text, stdout);
    free(text);
    sl_policy_free(pol);
    return fflush(stdout) == 0 ? SL_EXIT_OK : SL_EXIT_ERROR;
}

const struct cli_command cli_policy = {
    .name = "policy",
    .synopsis = "[FILE]",
    .summary = "validate a policy file and print the effective policy",
    .help = NULL,
    .run = run,
};
