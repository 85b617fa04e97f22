/* review: `socklock review`, one AdmissionReview answered through the very function the
 * server calls, without a network. */
#include "cli_int.h"

#include <stdlib.h>

#include "socklock/buf.h"
#include "socklock/cli.h"
#include "socklock/review.h"

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'},
        {"profile", required_argument, NULL, 'P'},
        {"mutate", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *policy_path = NULL, *profile = NULL; /* NULL: routed by namespace */
    enum sl_endpoint ep = SL_EP_VALIDATE;
    int c;
    while ((c = cli_getopt(&cli_review, argc, argv, ":h", opts)) != -1) {
        switch (c) {
        case 'p':
            policy_path = optarg;
            break;
        case 'P':
            profile = optarg;
            break;
        case 'm':
            ep = SL_EP_MUTATE;
            break;
        case 'h':
            return SL_EXIT_OK;
        default:
            return SL_EXIT_ERROR;
        }
    }
    if (argc - optind > 1)
        return cli_usage(&cli_review, stderr, "one FILE at most");
    const char *path = optind < argc ? argv[optind] : "-";

    int status = SL_EXIT_ERROR;
    struct sl_policy *pol = cli_load_policy(policy_path);
    struct sl_buf b;
    sl_buf_init(&b, pol ? pol->limits.max_body_bytes : 0);
    struct sl_answer ans = {0};
    struct sl_error err = {0};
    if (pol == NULL)
        goto out;
    if (profile != NULL && sl_policy_find(pol, profile) == NULL) {
        fprintf(stderr, "socklock: no profile named \"%s\" in the policy\n", profile);
        goto out;
    }
    if (sl_buf_load_file(&b, path, &err) != SL_OK) {
        cli_print_error(&err);
        goto out;
    }
    /* As the server answers: /validate/PROFILE with --profile, else /validate. */
    sl_review_answer_routed(pol, profile, ep, b.data, b.len, &ans);
    if (ans.http_status != 200) {
        /* The server would answer HTTP 400 with this body; say so on stderr too. */
        fprintf(stderr, "socklock: %s: HTTP %d: %.*s\n", path, ans.http_status, (int)ans.len,
                ans.body);
        goto out;
    }
    fwrite(ans.body, 1, ans.len, stdout);
    fputc('\n', stdout);
    status = fflush(stdout) == 0 ? SL_EXIT_OK : SL_EXIT_ERROR;
out:
    sl_review_answer_cleanup(&ans);
    sl_buf_cleanup(&b);
    sl_policy_free(pol);
    return status;
}

const struct cli_command cli_review = {
    .name = "review",
    .synopsis = "[--policy FILE] [--profile NAME] [--mutate] [FILE|-]",
    .summary = "answer one AdmissionReview (JSON) as the server would",
    .help = "  As /validate answers it, or with --mutate as /mutate does (the patch is base64 in\n"
            "  response.patch).\n",
    .run = run,
};
