/* certs: `socklock certs`, a CA and a serving certificate for the webhook, made with
 * OpenSSL's libcrypto by the certgen module. The caBundle goes to stdout, so it can be piped
 * into the webhook configurations. */
#include "cli_int.h"

#include <stdlib.h>

#include "socklock/certgen.h"
#include "socklock/cli.h"

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"service", required_argument, NULL, 's'},
        {"namespace", required_argument, NULL, 'n'},
        {"days", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct sl_certgen_opts o = {
        .out_dir = "certs",
        .service = "socklock",
        .namespace_ = "socklock-system",
        .days = 365,
    };
    unsigned long n = 0;
    int c;
    while ((c = cli_getopt(&cli_certs, argc, argv, ":h", opts)) != -1) {
        switch (c) {
        case 'o':
            o.out_dir = optarg;
            break;
        case 's':
            o.service = optarg;
            break;
        case 'n':
            o.namespace_ = optarg;
            break;
        case 'd':
            if (cli_parse_uint(optarg, 1, 36500, &n) != SL_OK)
                return cli_usage(&cli_certs, stderr, "--days wants 1 to 36500, not %s", optarg);
            o.days = (int)n;
            break;
        case 'h':
            return SL_EXIT_OK;
        default:
            return SL_EXIT_ERROR;
        }
    }
    if (optind < argc)
        return cli_usage(&cli_certs, stderr, "unexpected argument %s", argv[optind]);
    char *bundle = NULL;
    struct sl_error err = {0};
    if (sl_certgen_write(&o, &bundle, &err) != SL_OK) {
        cli_print_error(&err);
        return SL_EXIT_ERROR;
    }
    fprintf(stderr,
            "socklock: wrote %s/ca.crt, ca.key, tls.crt and tls.key for %s.%s.svc; "
            "the caBundle follows on stdout\n",
            o.out_dir, o.service, o.namespace_);
    printf("%s\n", bundle);
    free(bundle);
    return fflush(stdout) == 0 ? SL_EXIT_OK : SL_EXIT_ERROR;
}

const struct cli_command cli_certs = {
    .name = "certs",
    .synopsis = "[--out DIR] [--service NAME] [--namespace NS] [--days N]",
    .summary = "make a CA and a serving certificate, print the caBundle",
    .help = "  Defaults: --out certs --service socklock --namespace socklock-system --days 365.\n"
            "  Keys are written with mode 0600.\n",
    .run = run,
};
