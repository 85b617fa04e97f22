/* cli_util: what the subcommands share: the usage text, getopt_long with uniform errors,
 * number parsing, error printing and policy loading. */
#include "cli_int.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/buf.h"
#include "socklock/cli.h"

/* Policy files are small; anything bigger is a mistake (or an attack on the parser). */
#define POLICY_FILE_MAX (1u << 20)

int cli_usage(const struct cli_command *cmd, FILE *out, const char *fmt, ...)
{
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(out, "socklock %s: ", cmd->name);
        vfprintf(out, fmt, ap);
        fputc('\n', out);
        va_end(ap);
    }
    fprintf(out, "usage: socklock %s %s\n  %s\n", cmd->name, cmd->synopsis, cmd->summary);
    if (cmd->help != NULL)
        fputs(cmd->help, out);
    return out == stdout ? SL_EXIT_OK : SL_EXIT_ERROR;
}

int cli_getopt(const struct cli_command *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    opterr = 0; /* errors are ours to word */
    int c = getopt_long(argc, argv, shortopts, longopts, NULL);
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    switch (c) {
    case 'h':
        cli_usage(cmd, stdout, NULL);
        return 'h';
    case ':':
        cli_usage(cmd, stderr, "option %s needs a value", arg);
        return '?';
    case '?':
        cli_usage(cmd, stderr, "unknown option %s", arg);
        return '?';
    default:
        return c;
    }
}

enum sl_status cli_parse_uint(const char *s, unsigned long min, unsigned long max,
                              unsigned long *out)
{
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return SL_E_USAGE;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return SL_E_USAGE;
    *out = v;
    return SL_OK;
}

void cli_print_error(const struct sl_error *err)
{
    char msg[1024];
    sl_error_format(err, msg, sizeof(msg));
    fprintf(stderr, "socklock: %s\n", msg);
}

enum sl_status cli_read_policy(const char *path, struct sl_policy **out, struct sl_error *err)
{
    struct sl_buf b;
    sl_buf_init(&b, POLICY_FILE_MAX);
    *out = NULL;
    enum sl_status rc = sl_buf_load_file(&b, path, err);
    if (rc == SL_OK)
        rc = sl_policy_load(b.data, b.len, path, out, err);
    sl_buf_cleanup(&b);
    return rc;
}

struct sl_policy *cli_load_policy(const char *path)
{
    if (path == NULL)
        return sl_policy_new_default();
    struct sl_error err = {0};
    struct sl_policy *pol = NULL;
    if (cli_read_policy(path, &pol, &err) != SL_OK)
        cli_print_error(&err);
    for (size_t i = 0; pol != NULL && i < pol->warnings.len; i++)
        fprintf(stderr, "socklock: warning: %s\n", pol->warnings.items[i]);
    return pol;
}
