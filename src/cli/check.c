/* check: `socklock check`, manifests judged offline by the very function the server
 * calls. Each object becomes the AdmissionReview request the API server would send for
 * creating it (operation CREATE, group from apiVersion, namespace from metadata or
 * "default", no user), goes through sl_engine_eval(), and lands in a report. A file that
 * cannot be read or parsed is reported on stderr (FILE:LINE:COLUMN: message) and the other
 * files are still checked. While documents stream past, the few facts the network needs
 * (workload labels and ports, Namespaces, NetworkPolicies: netpol.h) are kept, and the
 * network findings are judged once the whole input is in and reported after the objects.
 * Exit status: 2 if any file failed or on usage errors, else 1 if anything was denied
 * (objects or network findings), else 0. */
#include "cli_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklock/cli.h"
#include "socklock/engine.h"
#include "socklock/fix.h"
#include "socklock/manifest.h"
#include "socklock/netpol.h"
#include "socklock/policy.h"
#include "socklock/report.h"
#include "socklock/workload.h"

struct check_opts {
    const char *policy;
    const char *profile;
    const char *level;
    const char *version;
    bool json;
    bool as_webhook;
};

/* SL_OK to go on, or SL_E_USAGE (printed); *help when --help was asked for (printed). */
static enum sl_status parse_args(int argc, char **argv, struct check_opts *o, bool *help)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'}, {"profile", required_argument, NULL, 'P'},
        {"level", required_argument, NULL, 'l'},  {"version", required_argument, NULL, 'v'},
        {"output", required_argument, NULL, 'o'}, {"as-webhook", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int c;
    *help = false;
    while ((c = cli_getopt(&cli_check, argc, argv, ":ho:", opts)) != -1) {
        switch (c) {
        case 'p':
            o->policy = optarg;
            break;
        case 'P':
            o->profile = optarg;
            break;
        case 'l':
            o->level = optarg;
            break;
        case 'v':
            o->version = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                cli_usage(&cli_check, stderr, "unknown output format \"%s\" (text or json)",
                          optarg);
                return SL_E_USAGE;
            }
            o->json = strcmp(optarg, "json") == 0;
            break;
        case 'w':
            o->as_webhook = true;
            break;
        case 'h':
            *help = true;
            return SL_OK;
        default:
            return SL_E_USAGE;
        }
    }
    if (optind >= argc) {
        cli_usage(&cli_check, stderr, "no PATH given");
        return SL_E_USAGE;
    }
    if ((o->level != NULL || o->version != NULL) && (o->policy != NULL || o->profile != NULL)) {
        cli_usage(&cli_check, stderr,
                  "--level/--version cannot be combined with --policy/--profile");
        return SL_E_USAGE;
    }
    return SL_OK;
}

/* The policy to judge with, and its profile's name in `name` (size bytes); prints the reason
 * and returns NULL on failure. Caller frees with sl_policy_free(). */
static struct sl_policy *load_policy(const struct check_opts *o, char *name, size_t size)
{
    if (o->level != NULL || o->version != NULL) {
        enum sl_level level = SL_LEVEL_RESTRICTED;
        int version = SL_VERSION_LATEST;
        if (o->level != NULL && sl_pss_parse_level(o->level, &level) != SL_OK) {
            cli_usage(&cli_check, stderr, "unknown level \"%s\" (privileged, baseline, restricted)",
                      o->level);
            return NULL;
        }
        if (o->version != NULL && sl_pss_parse_version(o->version, &version) != SL_OK) {
            cli_usage(&cli_check, stderr, "unknown version \"%s\" (v1.0 ... latest)", o->version);
            return NULL;
        }
        /* Named as Pod Security Admission names its policies: "baseline:v1.25". */
        char vname[32];
        sl_pss_version_name(version, vname, sizeof(vname));
        snprintf(name, size, "%s:%s", sl_pss_level_name(level), vname);
        return sl_policy_new_plain(name, level, version);
    }
    struct sl_policy *pol = cli_load_policy(o->policy);
    if (pol == NULL)
        return NULL;
    /* Without --profile each object is judged by the profile its namespace is routed to,
     * as /validate does: name is then "". */
    snprintf(name, size, "%s", o->profile != NULL ? o->profile : "");
    if (o->profile != NULL && sl_policy_find(pol, name) == NULL) {
        fprintf(stderr, "socklock check: no profile \"%s\" in the policy\n", name);
        sl_policy_free(pol);
        return NULL;
    }
    return pol;
}

/* What a run judges by, and where the verdicts go. */
struct run {
    const struct sl_policy *pol;
    const struct sl_profile *prof; /* NULL: each object's namespace picks its profile */
    bool as_written;               /* templates judged like pods (not --as-webhook) */
    bool patches;                  /* give each object the patch `fix` applies (--output json) */
    struct sl_report *report;
    struct sl_netpol_set *net; /* the network facts gathered so far; NULL: plain PSS */
};

static void report_error(struct sl_report *r, const struct sl_error *err)
{
    cli_print_error(err);
    sl_report_add_error(r, err);
}

/* Judges one object as a CREATE of it and records the verdict. */
static void check_object(const struct run *run, const char *file, const struct sl_manifest_obj *mo)
{
    const json_t *obj = mo->object;
    if (run->net != NULL) {
        struct sl_error err = {0};
        if (sl_netpol_add(run->net, obj, file, mo->line, mo->column, &err) != SL_OK)
            report_error(run->report, &err);
    }
    char group[256];
    struct sl_request req;
    sl_engine_request_create(obj, group, sizeof(group), &req);
    req.as_written = run->as_written;
    const struct sl_profile *prof =
        run->prof != NULL ? run->prof : sl_policy_route(run->pol, req.namespace_, NULL);
    if (prof == NULL) {
        struct sl_error err = {0};
        sl_error_setpos(&err, file, mo->line, mo->column,
                        "no profile judges namespace \"%s\": the policy has no profile named "
                        "default",
                        req.namespace_);
        report_error(run->report, &err);
        return;
    }
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    sl_engine_eval(prof, &req, &v);
    /* An object with a pod spec that was not judged is exempt; one without (another kind,
     * or a partial manifest such as a kustomize patch with no template) is skipped. */
    struct sl_podref ref;
    bool carries_pod = sl_workload_find(obj, group, req.kind, &ref, NULL) != SL_E_NOTFOUND;
    const char *api_version = json_string_value(json_object_get(obj, "apiVersion"));
    sl_report_add(run->report, file, mo->line, mo->doc, api_version != NULL ? api_version : "",
                  req.kind, req.namespace_, req.name, carries_pod, &v);
    sl_report_set_profile(run->report, prof->name);
    if (run->patches && carries_pod) {
        json_t *patch = sl_fix_patch(prof, true, obj);
        sl_report_set_patch(run->report, patch);
        json_decref(patch);
    }
    sl_engine_verdict_cleanup(&v);
}

/* One document at a time: judged, reported and freed before the next is read, so that
 * memory follows the largest document, not the file. */
static void check_file(const struct run *run, const char *path)
{
    struct sl_manifest_reader *rd;
    struct sl_error err = {0};
    if (sl_manifest_open(path, &rd, &err) != SL_OK) {
        report_error(run->report, &err);
        return;
    }
    for (bool got = true; got;) {
        struct sl_manifest_doc d;
        if (sl_manifest_next(rd, &d, &got, &err) != SL_OK) {
            report_error(run->report, &err);
            break;
        }
        for (size_t i = 0; got && i < d.nobjs; i++)
            check_object(run, sl_manifest_name(rd), &d.objs[i]);
        sl_manifest_doc_cleanup(&d);
    }
    sl_manifest_close(rd);
}

/* The network findings over the whole input, each judged by the `network` setting of the
 * profile that judges its namespace (a namespace the profile exempts is not judged). */
static void check_network(const struct run *run)
{
    struct sl_netpol_findings f;
    sl_netpol_findings(run->net, &f);
    for (size_t i = 0; i < f.len; i++) {
        const struct sl_netpol_finding *x = &f.items[i];
        const struct sl_profile *prof =
            run->prof != NULL ? run->prof : sl_policy_route(run->pol, x->namespace_, NULL);
        if (prof == NULL || sl_strlist_has(&prof->exempt_namespaces, x->namespace_))
            continue;
        enum sl_net_action a = sl_policy_net_action(prof, x->check);
        if (a == SL_NET_OFF)
            continue;
        /* A note that the beta annotation does nothing, where a policy isolates anyway. */
        bool deny = a == SL_NET_DENY && !x->note;
        sl_report_add_network(run->report, x->file, x->line, x->kind, x->namespace_, x->name,
                              x->check, x->detail, &x->workloads, prof->name, deny);
    }
    sl_netpol_findings_cleanup(&f);
}

static void to_stdout(void *ctx, const char *text, size_t len)
{
    SL_UNUSED(ctx);
    fwrite(text, 1, len, stdout);
}

static int run(int argc, char **argv)
{
    struct check_opts o = {0};
    bool help = false;
    if (parse_args(argc, argv, &o, &help) != SL_OK)
        return SL_EXIT_ERROR;
    if (help)
        return SL_EXIT_OK;
    char profile_name[256];
    struct sl_policy *pol = load_policy(&o, profile_name, sizeof(profile_name));
    if (pol == NULL)
        return SL_EXIT_ERROR;
    const struct sl_profile *prof = *profile_name ? sl_policy_find(pol, profile_name) : NULL;
    struct sl_report r;
    /* Routed: "default", or "by namespace" when rules may pick others (each object names
     * its own). */
    sl_report_init_stream(&r,
                          *profile_name     ? profile_name
                          : pol->nrules > 0 ? "by namespace"
                                            : "default",
                          o.json, to_stdout, NULL);
    /* Plain Pod Security Standards (--level/--version) know nothing of the network. */
    struct sl_netpol_set net;
    sl_netpol_init(&net);
    bool plain = o.level != NULL || o.version != NULL;
    struct run run = {.pol = pol,
                      .prof = prof,
                      .as_written = !o.as_webhook,
                      .patches = o.json,
                      .report = &r,
                      .net = plain ? NULL : &net};
    for (int i = optind; i < argc; i++) {
        struct sl_strlist files = {0};
        struct sl_error err = {0};
        if (sl_manifest_expand(argv[i], &files, &err) != SL_OK)
            report_error(&r, &err);
        for (size_t j = 0; j < files.len; j++)
            check_file(&run, files.items[j]);
        sl_strlist_cleanup(&files);
    }
    if (run.net != NULL)
        check_network(&run);
    sl_netpol_cleanup(&net);
    sl_report_finish(&r);
    struct sl_report_counts c;
    sl_report_counts(&r, &c);
    sl_report_cleanup(&r);
    sl_policy_free(pol);
    if (fflush(stdout) != 0 || c.errors > 0)
        return SL_EXIT_ERROR;
    return c.denied + c.network_denied > 0 ? SL_EXIT_DENIED : SL_EXIT_OK;
}

const struct cli_command cli_check = {
    .name = "check",
    .synopsis = "[--policy FILE] [--profile NAME] [--level LEVEL] [--version VER]"
                " [-o|--output text|json] [--as-webhook] PATH...",
    .summary = "check manifest files offline, as the webhook would judge them",
    .help =
        "  PATH is a file, a folder (its *.yaml, *.yml and *.json files, recursively) or - for\n"
        "  stdin. --level (privileged, baseline, restricted) and --version (v1.0 ... latest)\n"
        "  judge by the plain Pod Security Standards instead of a policy profile. Without\n"
        "  --profile, each object's namespace picks its profile (the policy's namespaces\n"
        "  rules, else \"default\"), as /validate does. Manifests are judged as written (a\n"
        "  violation that /mutate or `fix` would fix still counts, marked fixable);\n"
        "  --as-webhook gives /validate's verdict instead. For the namespaces whose Namespace\n"
        "  or NetworkPolicies are given, the network is judged too (networkPolicyIngress,\n"
        "  networkPolicyDefaultDeny, networkPolicyOpen), as the profile's network setting\n"
        "  says: warnings by default; left out with --level/--version. Exit status: 0\n"
        "  nothing denied, 1 something denied, 2 an error.\n",
    .run = run,
};
