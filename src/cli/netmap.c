/* netmap: `socklock netmap`, who may reach whom according to the NetworkPolicies in the
 * manifests given. Every file is read one document at a time (as `check` reads them) and
 * only the network facts are kept (see netpol.h); the map is printed once all input is in.
 * A file that cannot be read or parsed, or a NetworkPolicy the API server would refuse, is
 * reported on stderr (FILE:LINE:COLUMN: message) and the map of the rest is still printed,
 * with exit status 2. */
#include "cli_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/cli.h"
#include "socklock/manifest.h"
#include "socklock/netpol.h"

enum format { FMT_TEXT, FMT_JSON, FMT_DOT };

/* Adds every object of path to s; false when something failed (printed). */
static bool read_file(struct sl_netpol_set *s, const char *path)
{
    struct sl_manifest_reader *rd;
    struct sl_error err = {0};
    bool ok = true;
    if (sl_manifest_open(path, &rd, &err) != SL_OK) {
        cli_print_error(&err);
        return false;
    }
    for (bool got = true; got;) {
        struct sl_manifest_doc d;
        if (sl_manifest_next(rd, &d, &got, &err) != SL_OK) {
            cli_print_error(&err);
            ok = false;
            break;
        }
        for (size_t i = 0; got && i < d.nobjs; i++) {
            const struct sl_manifest_obj *o = &d.objs[i];
            if (sl_netpol_add(s, o->object, sl_manifest_name(rd), o->line, o->column, &err) !=
                SL_OK) {
                cli_print_error(&err);
                ok = false;
            }
        }
        sl_manifest_doc_cleanup(&d);
    }
    sl_manifest_close(rd);
    return ok;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum format fmt = FMT_TEXT;
    int c;
    while ((c = cli_getopt(&cli_netmap, argc, argv, ":ho:", opts)) != -1) {
        switch (c) {
        case 'o':
            if (strcmp(optarg, "text") == 0)
                fmt = FMT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                fmt = FMT_JSON;
            else if (strcmp(optarg, "dot") == 0)
                fmt = FMT_DOT;
            else
                return cli_usage(&cli_netmap, stderr,
                                 "unknown output format \"%s\" (text, json or dot)", optarg);
            break;
        case 'h':
            return SL_EXIT_OK;
        default:
            return SL_EXIT_ERROR;
        }
    }
    if (optind >= argc)
        return cli_usage(&cli_netmap, stderr, "no PATH given");
    struct sl_netpol_set s;
    sl_netpol_init(&s);
    bool ok = true;
    for (int i = optind; i < argc; i++) {
        struct sl_strlist files = {0};
        struct sl_error err = {0};
        if (sl_manifest_expand(argv[i], &files, &err) != SL_OK) {
            cli_print_error(&err);
            ok = false;
        }
        for (size_t j = 0; j < files.len; j++)
            ok = read_file(&s, files.items[j]) && ok;
        sl_strlist_cleanup(&files);
    }
    char *out = fmt == FMT_JSON  ? sl_netpol_map_json(&s)
                : fmt == FMT_DOT ? sl_netpol_map_dot(&s)
                                 : sl_netpol_map_text(&s);
    fputs(out, stdout);
    free(out);
    sl_netpol_cleanup(&s);
    if (fflush(stdout) != 0 || !ok)
        return SL_EXIT_ERROR;
    return SL_EXIT_OK;
}

const struct cli_command cli_netmap = {
    .name = "netmap",
    .synopsis = "[-o|--output text|json|dot] PATH...",
    .summary = "show who may reach each workload under the manifests' NetworkPolicies",
    .help = "  PATH is a file, a folder (its *.yaml, *.yml and *.json files, recursively) or -\n"
            "  for stdin. For each workload (anything with a pod template, and Pods): the\n"
            "  workloads, namespaces, pod selectors and IP blocks that may reach it, on which\n"
            "  ports, and at the end what nobody may reach. Namespace labels come from the\n"
            "  Namespace objects given (plus kubernetes.io/metadata.name). --output dot is for\n"
            "  Graphviz: socklock netmap -o dot PATH | dot -Tsvg > netmap.svg. Exit status: 0,\n"
            "  or 2 when an input could not be read or holds an invalid NetworkPolicy.\n",
    .run = run,
};
