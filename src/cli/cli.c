/* cli: the command line. Parses subcommands and options, calls into the library and turns
 * results into exit statuses (0 success, 1 `check` found denied objects, 2 usage, parse,
 * policy or I/O error). Only this module decides to exit. Subcommands that need more room
 * live in cli_serve.c (serve, certs) and cli_check.c (check). */
#include "socklock/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/policy.h"
#include "socklock/review.h"

#ifndef SOCKLOCK_VERSION
#define SOCKLOCK_VERSION "0.1.0"
#endif

/* Manifest and policy files are bounded (TESTPLAN §3.4); a review is bounded like a
 * request body. */
#define POLICY_FILE_MAX (1u << 20)

static const char usage_text[] =
    "usage: socklock COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  serve  [--listen ADDR:PORT] [--cert FILE] [--key FILE] [--client-ca FILE]\n"
    "         [--policy FILE] [--threads N]        serve /validate over TLS\n"
    "  review [--policy FILE] [--profile NAME] [FILE|-]\n"
    "                                              answer one AdmissionReview (JSON)\n"
    "  check  [--policy FILE] [--profile NAME] [--level LEVEL] [--version VER]\n"
    "         [--output text|json] PATH...         check manifest files\n"
    "  policy [FILE]                               validate a policy, print the effective one\n"
    "  certs  [--out DIR] [--service NAME] [--namespace NS] [--days N]\n"
    "                                              make a CA and a serving certificate\n"
    "  version                                     print the version\n";

static int usage(FILE *f)
{
    fputs(usage_text, f);
    return f == stdout ? SL_EXIT_OK : SL_EXIT_ERROR;
}

struct sl_policy *sl_cli_load_policy(const char *path)
{
    if (path == NULL)
        return sl_policy_new_default();
    struct sl_buf b;
    sl_buf_init(&b, POLICY_FILE_MAX);
    struct sl_error err = {0};
    struct sl_policy *pol = NULL;
    if (sl_buf_load_file(&b, path, &err) == SL_OK)
        sl_policy_load(b.data, b.len, path, &pol, &err);
    sl_buf_cleanup(&b);
    if (pol == NULL) {
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "socklock: %s\n", msg);
    }
    return pol;
}

static int cmd_review(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, NULL, 'p'},
        {"profile", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *policy_path = NULL, *profile = "default";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            policy_path = optarg;
            break;
        case 'P':
            profile = optarg;
            break;
        case 'h':
            return usage(stdout);
        default:
            return usage(stderr);
        }
    }
    if (argc - optind > 1)
        return usage(stderr);
    const char *path = optind < argc ? argv[optind] : "-";

    int status = SL_EXIT_ERROR;
    struct sl_policy *pol = sl_cli_load_policy(policy_path);
    struct sl_buf b;
    sl_buf_init(&b, pol ? pol->limits.max_body_bytes : 0);
    struct sl_answer ans = {0};
    if (pol == NULL)
        goto out;
    const struct sl_profile *prof = sl_policy_find(pol, profile);
    if (prof == NULL) {
        fprintf(stderr, "socklock: no profile named \"%s\" in the policy\n", profile);
        goto out;
    }
    struct sl_error err = {0};
    if (sl_buf_load_file(&b, path, &err) != SL_OK) {
        char msg[1024];
        sl_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "socklock: %s\n", msg);
        goto out;
    }
    sl_review_answer(prof, SL_EP_VALIDATE, b.data, b.len, &ans);
    if (ans.http_status != 200) {
        /* The server would answer HTTP 400 with this body; say so on stderr too. */
        fprintf(stderr, "socklock: %s: HTTP %d: %.*s\n", path, ans.http_status, (int)ans.len,
                ans.body);
        goto out;
    }
    fwrite(ans.body, 1, ans.len, stdout);
    fputc('\n', stdout);
    status = SL_EXIT_OK;
out:
    sl_answer_cleanup(&ans);
    sl_buf_cleanup(&b);
    sl_policy_free(pol);
    return status;
}

static int cmd_policy(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1] != '\0'))
        return usage(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    struct sl_policy *pol = sl_cli_load_policy(argc == 2 ? argv[1] : NULL);
    if (pol == NULL)
        return SL_EXIT_ERROR;
    char *text = sl_policy_dump(pol);
    fputs(text, stdout);
    free(text);
    sl_policy_free(pol);
    return SL_EXIT_OK;
}

int sl_cli_main(int argc, char **argv)
{
    sl_alloc_init();
    if (argc < 2)
        return usage(stderr);
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return sl_cli_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "certs") == 0)
        return sl_cli_certs(argc - 1, argv + 1);
    if (strcmp(cmd, "review") == 0)
        return cmd_review(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return sl_cli_check(argc - 1, argv + 1);
    if (strcmp(cmd, "policy") == 0)
        return cmd_policy(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("socklock %s\n", SOCKLOCK_VERSION);
        return SL_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return usage(stdout);
    fprintf(stderr, "socklock: unknown command \"%s\"\n", cmd);
    return usage(stderr);
}
