/* policy: `socklock policy`, a policy file validated (errors as FILE:LINE:COLUMN, exit 2) and
 * the effective policy printed, defaults filled in, as `nginx -t` checks a configuration;
 * without a file, the embedded default. Warnings (a rule an earlier one shadows, an
 * exception that can never apply) go to stderr and leave the exit status 0. With --explain
 * NAMESPACE [IMAGE...], what applies there instead: the rule, the profile, the exemption and
 * the exceptions, and for each image the exceptions that match it. */
#include "cli_int.h"

#include <stdlib.h>
#include <time.h>

#include "socklock/cli.h"

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"explain", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *explain = NULL;
    int c;
    while ((c = cli_getopt(&cli_policy, argc, argv, ":h", opts)) != -1) {
        if (c == 'h')
            return SL_EXIT_OK;
        if (c != 'e')
            return SL_EXIT_ERROR;
        explain = optarg;
    }
    if (explain == NULL && argc - optind > 1)
        return cli_usage(&cli_policy, stderr, "one FILE at most (IMAGEs go with --explain)");
    struct sl_policy *pol = cli_load_policy(optind < argc ? argv[optind] : NULL);
    if (pol == NULL)
        return SL_EXIT_ERROR;
    char *text =
        explain != NULL
            ? sl_policy_explain(pol, explain, argv + optind + 1,
                                argc - optind > 1 ? (size_t)(argc - optind - 1) : 0, time(NULL))
            : sl_policy_dump(pol);
    fputs(text, stdout);
    free(text);
    sl_policy_free(pol);
    return fflush(stdout) == 0 ? SL_EXIT_OK : SL_EXIT_ERROR;
}

const struct cli_command cli_policy = {
    .name = "policy",
    .synopsis = "[FILE] [--explain NAMESPACE [IMAGE...]]",
    .summary = "validate a policy file and print the effective policy",
    .help = "  Exit status 2 and FILE:LINE:COLUMN: message when the file is not a valid policy;\n"
            "  warnings (what loads but cannot work as written) on stderr, exit status 0.\n"
            "  --explain says which rule, profile, mode and exceptions apply in NAMESPACE, and\n"
            "  which exceptions match each IMAGE there (with --explain, the first argument is\n"
            "  the policy FILE; without one, the embedded default).\n",
    .run = run,
};
