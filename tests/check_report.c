/* report: what `socklock check` prints. Counts by verdict, the text lines exactly as a user
 * sees them (README.md, "Output": `FILE:LINE: KIND NAMESPACE/NAME: CHECK: DETAIL`, the
 * `invalid:` line, the summary), control characters shown as \xNN, and the JSON report
 * against the schema of README.md, "JSON (--output json)": every key, its type and value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "socklock/alloc.h"
#include "socklock/buf.h"
#include "socklock/engine.h"
#include "socklock/report.h"
#include "testutil.h"

extern Suite *suite_report(void);

/* A finding as the tests write it. */
struct finding {
    const char *check, *reason, *detail;
};

/* Adds one object to r with a verdict built from the arguments (as the engine would). */
static void add(struct sl_report *r, const char *file, int line, size_t doc, const char *kind,
                const char *ns, const char *name, bool carries_pod, bool allowed, bool evaluated,
                int code, const char *message, const struct finding *f, size_t nf)
{
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    v.allowed = allowed;
    v.evaluated = evaluated;
    v.code = code;
    v.message = message ? sl_xstrdup(message) : NULL;
    for (size_t i = 0; i < nf; i++)
        sl_pss_findings_add(&v.findings, f[i].check, f[i].reason, f[i].detail);
    sl_report_add(r, file, line, doc, strcmp(kind, "Pod") == 0 ? "v1" : "apps/v1", kind, ns, name,
                  carries_pod, &v);
    sl_engine_verdict_cleanup(&v);
}

static void add_allowed(struct sl_report *r, const char *name)
{
    add(r, "ok.yaml", 1, 0, "Pod", "app", name, true, true, true, 0, NULL, NULL, 0);
}

static void add_exempt(struct sl_report *r, const char *name)
{
    add(r, "sys.yaml", 1, 0, "Pod", "kube-system", name, true, true, false, 0, NULL, NULL, 0);
}

static void add_skipped(struct sl_report *r, const char *name)
{
    add(r, "svc.yaml", 1, 0, "Service", "app", name, false, true, false, 0, NULL, NULL, 0);
}

static const struct finding priv = {
    "privileged", "privileged", "container \"app\" must not set securityContext.privileged=true"};

static void add_denied(struct sl_report *r, const char *name)
{
    add(r, "bad.yaml", 4, 0, "Pod", "app", name, true, false, true, 403, "denied", &priv, 1);
}

static void add_error(struct sl_report *r, const char *file, int line, int column, const char *msg)
{
    struct sl_error e;
    memset(&e, 0, sizeof(e));
    sl_error_setpos(&e, file, line, column, "%s", msg);
    sl_report_add_error(r, &e);
}

static void expect_text(const struct sl_report *r, const char *want)
{
    char *text = sl_report_text(r);
    ck_assert_msg(strcmp(text, want) == 0, "text:\n%s\nwant:\n%s", text, want);
    free(text);
}

START_TEST(test_report_counts_each_verdict)
{
    struct sl_report r;
    sl_report_init(&r, "default");
    struct sl_report_counts c;
    sl_report_counts(&r, &c);
    ck_assert_uint_eq(c.checked + c.allowed + c.denied + c.exempt + c.skipped + c.errors, 0);
    for (int i = 0; i < 2; i++)
        add_allowed(&r, "a");
    for (int i = 0; i < 3; i++)
        add_denied(&r, "d");
    for (int i = 0; i < 4; i++)
        add_exempt(&r, "e");
    for (int i = 0; i < 5; i++)
        add_skipped(&r, "s");
    add_error(&r, "x.yaml", 1, 1, "broken");
    sl_report_counts(&r, &c);
    /* Exempt objects count as allowed; skipped ones are not checked. */
    ck_assert_uint_eq(c.allowed, 2 + 4);
    ck_assert_uint_eq(c.denied, 3);
    ck_assert_uint_eq(c.exempt, 4);
    ck_assert_uint_eq(c.skipped, 5);
    ck_assert_uint_eq(c.checked, 2 + 3 + 4);
    ck_assert_uint_eq(c.errors, 1);
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_status_follows_the_verdict)
{
    struct sl_report r;
    sl_report_init(&r, "default");
    add_allowed(&r, "allowed");
    add_exempt(&r, "exempt");
    add_skipped(&r, "skipped");
    add_denied(&r, "denied");
    /* Denied without evaluation (not understood, 400) is denied; so is a denial of a kind
     * said to carry no pod. */
    add(&r, "f.yaml", 1, 0, "Pod", "app", "p400", true, false, false, 400, "not understood", NULL,
        0);
    add(&r, "f.yaml", 1, 0, "Service", "app", "weird", false, false, true, 403, "x", &priv, 1);
    /* Allowed with findings (warn or audit mode) is allowed. */
    add(&r, "f.yaml", 1, 0, "Pod", "app", "warned", true, true, true, 0, NULL, &priv, 1);
    static const enum sl_report_status want[] = {
        SL_REPORT_ALLOWED, SL_REPORT_EXEMPT, SL_REPORT_SKIPPED, SL_REPORT_DENIED,
        SL_REPORT_DENIED,  SL_REPORT_DENIED, SL_REPORT_ALLOWED};
    ck_assert_uint_eq(r.len, SL_ARRAY_LEN(want));
    for (size_t i = 0; i < r.len; i++)
        ck_assert_msg(r.entries[i].status == want[i], "%s: status %d, want %d", r.entries[i].name,
                      r.entries[i].status, want[i]);
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_text_one_line_per_violation_then_summary)
{
    struct sl_report r;
    sl_report_init(&r, "default");
    static const struct finding f[] = {
        {"allowPrivilegeEscalation", "allowPrivilegeEscalation != false",
         "container \"carts\" must set securityContext.allowPrivilegeEscalation=false"},
        {"runAsNonRoot", "runAsNonRoot != true",
         "pod or container \"carts\" must set securityContext.runAsNonRoot=true"},
    };
    add(&r, "manifests/01-carts-dep.yaml", 2, 0, "Deployment", "sock-shop", "carts", true, false,
        true, 403, "deployment \"carts\" violates ...", f, 2);
    add_skipped(&r, "carts-svc");
    add(&r, "manifests/02-db.yaml", 17, 1, "StatefulSet", "sock-shop", "carts-db", true, false,
        true, 403, "x", f + 1, 1);
    expect_text(&r, "manifests/01-carts-dep.yaml:2: Deployment sock-shop/carts: "
                    "allowPrivilegeEscalation: container \"carts\" must set "
                    "securityContext.allowPrivilegeEscalation=false\n"
                    "manifests/01-carts-dep.yaml:2: Deployment sock-shop/carts: runAsNonRoot: pod "
                    "or container \"carts\" must set securityContext.runAsNonRoot=true\n"
                    "manifests/02-db.yaml:17: StatefulSet sock-shop/carts-db: runAsNonRoot: pod "
                    "or container \"carts\" must set securityContext.runAsNonRoot=true\n"
                    "2 objects checked: 0 allowed, 2 denied; 1 skipped (no pod spec)\n");
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_text_summary_as_in_readme)
{
    /* README's example summary: 56 checked, 3 allowed (all exempt), 53 denied, 51 skipped. */
    struct sl_report r;
    sl_report_init(&r, "default");
    for (int i = 0; i < 3; i++)
        add_exempt(&r, "e");
    for (int i = 0; i < 51; i++)
        add_skipped(&r, "s");
    for (int i = 0; i < 53; i++)
        add(&r, "d.yaml", 1, 0, "Pod", "app", "d", true, false, true, 403, "x", NULL, 0);
    char *text = sl_report_text(&r);
    const char *last = strrchr(text, '\n');
    ck_assert_ptr_nonnull(last);
    ck_assert_uint_eq((size_t)(last - text) + 1, strlen(text));
    while (last > text && last[-1] != '\n')
        last--;
    ck_assert_str_eq(last, "56 objects checked: 3 allowed, 53 denied (3 exempt); "
                           "51 skipped (no pod spec)\n");
    free(text);
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_text_summary_wording)
{
    struct sl_report r;
    sl_report_init(&r, "default");
    expect_text(&r, "0 objects checked: 0 allowed, 0 denied; 0 skipped (no pod spec)\n");
    add_allowed(&r, "a");
    expect_text(&r, "1 object checked: 1 allowed, 0 denied; 0 skipped (no pod spec)\n");
    add_skipped(&r, "s");
    add_error(&r, "x.yaml", 1, 1, "broken");
    /* Errors are counted in the summary, not printed (stderr has them). */
    expect_text(&r, "1 object checked: 1 allowed, 0 denied; 1 skipped (no pod spec); 1 error\n");
    add_error(&r, "y.yaml", 0, 0, "unreadable");
    add_exempt(&r, "e");
    expect_text(&r, "2 objects checked: 2 allowed, 0 denied (1 exempt); 1 skipped (no pod spec); "
                    "2 errors\n");
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_text_invalid_line_for_denial_without_violations)
{
    struct sl_report r;
    sl_report_init(&r, "default");
    add(&r, "x.yaml", 3, 0, "Pod", "default", "odd", true, false, false, 400,
        "pod \"odd\" could not be evaluated: spec.containers is not a list", NULL, 0);
    add(&r, "x.yaml", 9, 1, "Pod", "default", "nomsg", true, false, false, 400, NULL, NULL, 0);
    expect_text(&r, "x.yaml:3: Pod default/odd: invalid: pod \"odd\" could not be evaluated: "
                    "spec.containers is not a list\n"
                    "x.yaml:9: Pod default/nomsg: invalid: denied\n"
                    "2 objects checked: 0 allowed, 2 denied; 0 skipped (no pod spec)\n");
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_text_shows_violations_of_allowed_objects)
{
    /* warn and audit modes: violations are printed, the object counts as allowed. A
     * violation without detail shows its reason. */
    struct sl_report r;
    sl_report_init(&r, "default");
    static const struct finding f[] = {{"sysctls", "forbidden sysctls", ""},
                                       {"hostPorts", "hostPort", NULL}};
    add(&r, "w.yaml", 5, 0, "Pod", "app", "w", true, true, true, 0, NULL, f, 2);
    expect_text(&r, "w.yaml:5: Pod app/w: sysctls: forbidden sysctls\n"
                    "w.yaml:5: Pod app/w: hostPorts: hostPort\n"
                    "1 object checked: 1 allowed, 0 denied; 0 skipped (no pod spec)\n");
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_text_escapes_control_characters)
{
    /* A hostile manifest cannot forge lines: every control character in every part is \xNN,
     * a backslash is doubled (so "\x0a" written in a name stays distinguishable), and other
     * bytes, UTF-8 included, pass through. */
    struct sl_report r;
    sl_report_init(&r, "default");
    static const struct finding f = {"che\x1b[31mck", "r", "det\tail\r\nX.yaml:1: fake"};
    add(&r, "dir\n/f.yaml", 7, 0,
        "Po\x7f"
        "d",
        "n\x01s", "evil\nname\\x0a\xc3\xa9", true, false, true, 403, "m", &f, 1);
    add(&r, "x.yaml", 8, 0, "Pod", "ns", "inv\x1f", true, false, false, 400, "bad\nmessage", NULL,
        0);
    expect_text(&r, "dir\\x0a/f.yaml:7: Po\\x7fd n\\x01s/evil\\x0aname\\\\x0a\xc3\xa9: "
                    "che\\x1b[31mck: det\\x09ail\\x0d\\x0aX.yaml:1: fake\n"
                    "x.yaml:8: Pod ns/inv\\x1f: invalid: bad\\x0amessage\n"
                    "2 objects checked: 0 allowed, 2 denied; 0 skipped (no pod spec)\n");
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_copies_what_it_is_given)
{
    /* The report owns copies: the caller's strings, verdict and error may go right away. */
    char file[] = "a.yaml", kind[] = "Pod", ns[] = "ns", name[] = "web", prof[] = "mine";
    struct sl_report r;
    sl_report_init(&r, prof);
    memset(prof, 'X', sizeof(prof) - 1);
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    v.allowed = false;
    v.code = 403;
    v.evaluated = true;
    v.message = sl_xstrdup("msg");
    v.warnings = sl_xcalloc(1, sizeof(*v.warnings));
    v.warnings[0] = sl_xstrdup("warned");
    v.nwarnings = 1;
    sl_pss_findings_add(&v.findings, "privileged", "privileged", "detail");
    sl_report_add(&r, file, 2, 0, "v1", kind, ns, name, true, &v);
    sl_engine_verdict_cleanup(&v);
    memset(file, 'X', sizeof(file) - 1);
    memset(kind, 'X', sizeof(kind) - 1);
    memset(ns, 'X', sizeof(ns) - 1);
    memset(name, 'X', sizeof(name) - 1);
    struct sl_error e;
    memset(&e, 0, sizeof(e));
    sl_error_setpos(&e, "e.yaml", 1, 2, "oops");
    sl_report_add_error(&r, &e);
    sl_error_setpos(&e, "changed.yaml", 9, 9, "changed");
    expect_text(&r, "a.yaml:2: Pod ns/web: privileged: detail\n"
                    "1 object checked: 0 allowed, 1 denied; 0 skipped (no pod spec); 1 error\n");
    char *js = sl_report_json(&r);
    json_t *j = tu_json(js);
    ck_assert_str_eq(json_string_value(json_object_get(j, "profile")), "mine");
    json_t *o = json_array_get(json_object_get(j, "objects"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "message")), "msg");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "warnings"), 0)),
                     "warned");
    json_t *err = json_array_get(json_object_get(j, "errors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(err, "file")), "e.yaml");
    ck_assert_str_eq(json_string_value(json_object_get(err, "message")), "oops");
    json_decref(j);
    free(js);
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_marks_fixable_violations)
{
    /* A violation the profile's fixers would fix is marked, in text and in JSON. */
    struct sl_report r;
    sl_report_init(&r, "default");
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    v.allowed = false;
    v.evaluated = true;
    v.code = 403;
    sl_pss_findings_add(&v.findings, "runAsNonRoot", "runAsNonRoot != true", "pod must");
    v.findings.items[0].fixable = true;
    sl_pss_findings_add(&v.findings, "privileged", "privileged", "container \"a\" must not");
    sl_report_add(&r, "p.yaml", 3, 0, "v1", "Pod", "app", "web", true, &v);
    sl_engine_verdict_cleanup(&v);
    json_t *patch = tu_json("[{\"op\":\"add\",\"path\":\"/spec/securityContext\","
                            "\"value\":{\"runAsNonRoot\":true}}]");
    sl_report_set_patch(&r, patch);
    char *text = sl_report_text(&r);
    ck_assert_str_eq(text, "p.yaml:3: Pod app/web: runAsNonRoot: pod must (fixable)\n"
                           "p.yaml:3: Pod app/web: privileged: container \"a\" must not\n"
                           "1 object checked: 0 allowed, 1 denied; 0 skipped (no pod spec)\n");
    free(text);
    char *js = sl_report_json(&r);
    json_t *j = tu_json(js);
    json_t *vs = json_object_get(json_array_get(json_object_get(j, "objects"), 0), "violations");
    ck_assert(json_is_true(json_object_get(json_array_get(vs, 0), "fixable")));
    ck_assert(json_is_false(json_object_get(json_array_get(vs, 1), "fixable")));
    /* ... and the object carries the patch `fix` applies. */
    ck_assert(json_equal(json_object_get(json_array_get(json_object_get(j, "objects"), 0), "patch"),
                         patch));
    json_decref(patch);
    json_decref(j);
    free(js);
    sl_report_cleanup(&r);
}
END_TEST

/* The exact key set of a JSON object, in order. */
static void expect_keys(const json_t *o, const char *const *keys, size_t n, const char *what)
{
    ck_assert_msg(json_is_object(o), "%s is not an object", what);
    ck_assert_msg(json_object_size(o) == n, "%s has %zu keys, want %zu", what, json_object_size(o),
                  n);
    size_t i = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)(uintptr_t)o, key, val)
    {
        (void)val;
        ck_assert_msg(strcmp(key, keys[i]) == 0, "%s key %zu is %s, want %s", what, i, key,
                      keys[i]);
        i++;
    }
}

static json_t *load_ordered(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(v != NULL, "report JSON does not parse: %s at %d:%d", e.text, e.line, e.column);
    return v;
}

static const char *str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

static json_int_t num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

START_TEST(test_report_json_follows_documented_schema)
{
    struct sl_report r;
    sl_report_init(&r, "baseline:v1.25");
    static const struct finding f = {"hostNamespaces", "host namespaces", "hostNetwork=true"};
    add(&r, "manifests/a.yaml", 2, 0, "Deployment", "sock-shop", "carts", true, false, true, 403,
        "deployment \"carts\" violates profile \"baseline:v1.25\": host namespaces "
        "(hostNetwork=true)",
        &f, 1);
    add(&r, "manifests/a.yaml", 30, 1, "Service", "sock-shop", "carts", false, true, false, 0, NULL,
        NULL, 0);
    add(&r, "manifests/b.yaml", 1, 0, "Pod", "kube-system", "p", true, true, false, 0, NULL, NULL,
        0);
    add(&r, "manifests/b.yaml", 9, 2, "Pod", "default", "ok", true, true, true, 0, NULL, NULL, 0);
    add(&r, "manifests/c.yaml", 4, 0, "Pod", "default", "odd", true, false, false, 400,
        "pod \"odd\" could not be evaluated", NULL, 0);
    add_error(&r, "broken.yaml", 5, 22, "did not find expected ',' or ']'");
    add_error(&r, "gone.yaml", 0, 0, "cannot open: No such file or directory");

    char *text = sl_report_json(&r);
    size_t len = strlen(text);
    ck_assert_msg(len > 0 && text[len - 1] == '\n', "no trailing newline");
    json_t *j = load_ordered(text); /* one document: trailing data would fail to parse */
    free(text);

    static const char *const top[] = {"profile", "objects", "network", "errors", "summary"};
    expect_keys(j, top, 5, "report");
    ck_assert_uint_eq(json_array_size(json_object_get(j, "network")), 0);
    ck_assert_str_eq(str(j, "profile"), "baseline:v1.25");

    static const char *const sk[] = {"checked", "allowed",         "denied",
                                     "exempt",  "skipped",         "errors",
                                     "waived",  "networkWarnings", "networkDenied"};
    json_t *s = json_object_get(j, "summary");
    expect_keys(s, sk, 9, "summary");
    static const json_int_t sv[] = {4, 2, 2, 1, 1, 2, 0, 0, 0};
    for (size_t i = 0; i < 9; i++)
        ck_assert_msg(num(s, sk[i]) == sv[i], "summary.%s is %lld, want %lld", sk[i],
                      (long long)num(s, sk[i]), (long long)sv[i]);

    static const char *const ok[] = {"file",       "line",     "document", "apiVersion", "kind",
                                     "namespace",  "name",     "verdict",  "code",       "message",
                                     "violations", "warnings", "patch",    "waived",     "profile"};
    static const struct {
        const char *file;
        int line, doc;
        const char *api, *kind, *ns, *name, *verdict;
        int code;
        const char *message;
        size_t nviolations;
    } want[] = {
        {"manifests/a.yaml", 2, 0, "apps/v1", "Deployment", "sock-shop", "carts", "denied", 403,
         "deployment \"carts\" violates profile \"baseline:v1.25\": host namespaces "
         "(hostNetwork=true)",
         1},
        {"manifests/a.yaml", 30, 1, "apps/v1", "Service", "sock-shop", "carts", "skipped", 0, NULL,
         0},
        {"manifests/b.yaml", 1, 0, "v1", "Pod", "kube-system", "p", "exempt", 0, NULL, 0},
        {"manifests/b.yaml", 9, 2, "v1", "Pod", "default", "ok", "allowed", 0, NULL, 0},
        {"manifests/c.yaml", 4, 0, "v1", "Pod", "default", "odd", "denied", 400,
         "pod \"odd\" could not be evaluated", 0},
    };
    json_t *objs = json_object_get(j, "objects");
    ck_assert(json_is_array(objs));
    ck_assert_uint_eq(json_array_size(objs), SL_ARRAY_LEN(want));
    for (size_t i = 0; i < SL_ARRAY_LEN(want); i++) {
        json_t *o = json_array_get(objs, i);
        expect_keys(o, ok, SL_ARRAY_LEN(ok), "object");
        ck_assert_str_eq(str(o, "file"), want[i].file);
        ck_assert_int_eq(num(o, "line"), want[i].line);
        ck_assert_int_eq(num(o, "document"), want[i].doc);
        ck_assert_str_eq(str(o, "apiVersion"), want[i].api);
        ck_assert_str_eq(str(o, "kind"), want[i].kind);
        ck_assert_str_eq(str(o, "namespace"), want[i].ns);
        ck_assert_str_eq(str(o, "name"), want[i].name);
        ck_assert_str_eq(str(o, "verdict"), want[i].verdict);
        ck_assert_int_eq(num(o, "code"), want[i].code);
        if (want[i].message == NULL)
            ck_assert_msg(json_is_null(json_object_get(o, "message")), "object %zu message", i);
        else
            ck_assert_str_eq(str(o, "message"), want[i].message);
        json_t *vs = json_object_get(o, "violations");
        ck_assert(json_is_array(vs));
        ck_assert_uint_eq(json_array_size(vs), want[i].nviolations);
        ck_assert(json_is_array(json_object_get(o, "warnings")));
        ck_assert_uint_eq(json_array_size(json_object_get(o, "warnings")), 0);
        ck_assert(json_is_null(json_object_get(o, "patch"))); /* none was given */
    }
    static const char *const vk[] = {"check", "reason", "detail", "fixable"};
    json_t *v = json_array_get(json_object_get(json_array_get(objs, 0), "violations"), 0);
    expect_keys(v, vk, 4, "violation");
    ck_assert_str_eq(str(v, "check"), "hostNamespaces");
    ck_assert_str_eq(str(v, "reason"), "host namespaces");
    ck_assert_str_eq(str(v, "detail"), "hostNetwork=true");
    ck_assert(json_is_false(json_object_get(v, "fixable")));

    static const char *const ek[] = {"file", "line", "column", "message"};
    json_t *errs = json_object_get(j, "errors");
    ck_assert(json_is_array(errs));
    ck_assert_uint_eq(json_array_size(errs), 2);
    json_t *e = json_array_get(errs, 0);
    expect_keys(e, ek, 4, "error");
    ck_assert_str_eq(str(e, "file"), "broken.yaml");
    ck_assert_int_eq(num(e, "line"), 5);
    ck_assert_int_eq(num(e, "column"), 22);
    ck_assert_str_eq(str(e, "message"), "did not find expected ',' or ']'");
    e = json_array_get(errs, 1);
    expect_keys(e, ek, 4, "error");
    ck_assert_str_eq(str(e, "file"), "gone.yaml");
    ck_assert_int_eq(num(e, "line"), 0);
    ck_assert_int_eq(num(e, "column"), 0);
    json_decref(j);
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_json_keeps_names_and_warnings_verbatim)
{
    /* JSON carries strings as they are (JSON-escaped), never \xNN; warnings in order. */
    struct sl_report r;
    sl_report_init(&r, "default");
    struct sl_verdict v;
    sl_engine_verdict_init(&v);
    v.allowed = true;
    v.evaluated = true;
    v.warnings = sl_xcalloc(2, sizeof(*v.warnings));
    v.warnings[0] = sl_xstrdup("first \"warning\"");
    v.warnings[1] = sl_xstrdup("second\twarning");
    v.nwarnings = 2;
    sl_pss_findings_add(&v.findings, "hostPorts", "hostPort", "container \"a\" uses hostPort 80");
    sl_report_add(&r, "f\n.yaml", 1, 0, "v1", "Pod", "n\x01s", "evil\nname\\", true, &v);
    sl_engine_verdict_cleanup(&v);
    char *text = sl_report_json(&r);
    json_t *j = load_ordered(text);
    free(text);
    json_t *o = json_array_get(json_object_get(j, "objects"), 0);
    ck_assert_str_eq(str(o, "file"), "f\n.yaml");
    ck_assert_str_eq(str(o, "namespace"), "n\x01s");
    ck_assert_str_eq(str(o, "name"), "evil\nname\\");
    ck_assert_str_eq(str(o, "verdict"), "allowed");
    ck_assert(json_is_null(json_object_get(o, "message")));
    json_t *w = json_object_get(o, "warnings");
    ck_assert_uint_eq(json_array_size(w), 2);
    ck_assert_str_eq(json_string_value(json_array_get(w, 0)), "first \"warning\"");
    ck_assert_str_eq(json_string_value(json_array_get(w, 1)), "second\twarning");
    json_t *vs = json_object_get(o, "violations");
    ck_assert_uint_eq(json_array_size(vs), 1);
    ck_assert_str_eq(str(json_array_get(vs, 0), "detail"), "container \"a\" uses hostPort 80");
    json_decref(j);
    sl_report_cleanup(&r);
}
END_TEST

START_TEST(test_report_json_survives_a_name_that_is_not_utf8)
{
    /* One bad string never drops the report: the rest stays whole and parses. */
    struct sl_report r;
    sl_report_init(&r, "default");
    add(&r, "a.yaml", 1, 0, "Pod", "ns", "bad\xff\xfe", true, false, true, 403, "m", &priv, 1);
    add_allowed(&r, "fine");
    char *text = sl_report_json(&r);
    json_t *j = load_ordered(text);
    free(text);
    json_t *objs = json_object_get(j, "objects");
    ck_assert_uint_eq(json_array_size(objs), 2);
    json_t *bad = json_array_get(objs, 0);
    ck_assert(json_is_string(json_object_get(bad, "name")));
    ck_assert_str_eq(str(bad, "verdict"), "denied");
    ck_assert_uint_eq(json_array_size(json_object_get(bad, "violations")), 1);
    ck_assert_str_eq(str(json_array_get(objs, 1), "name"), "fine");
    ck_assert_int_eq(num(json_object_get(j, "summary"), "denied"), 1);
    json_decref(j);
    sl_report_cleanup(&r);
}
END_TEST

static void collect(void *ctx, const char *text, size_t len)
{
    sl_buf_append(ctx, text, len);
}

/* Network findings come after the objects: text lines like a violation's (a warning says
 * so), a "network" array in JSON, and their counts in the summary. */
START_TEST(test_report_network_findings_after_the_objects)
{
    struct sl_strlist opens = {0};
    sl_strlist_add(&opens, "shop/front-end");
    for (int json = 0; json < 2; json++) {
        struct sl_report r;
        struct sl_buf out;
        sl_buf_init(&out, 0);
        sl_report_init_stream(&r, "default", json, collect, &out);
        add_allowed(&r, "web");
        sl_report_add_network(&r, "ns.yaml", 2, "Namespace", "shop", "shop",
                              "networkPolicyDefaultDeny", "no default deny", NULL, "default", true);
        sl_report_add_network(&r, "np.yaml", 3, "NetworkPolicy", "shop", "fe\n",
                              "networkPolicyOpen", "ingress rule 1 admits every source", &opens,
                              "default", false);
        sl_report_finish(&r);
        struct sl_report_counts c;
        sl_report_counts(&r, &c);
        ck_assert_uint_eq(c.network_denied, 1);
        ck_assert_uint_eq(c.network_warnings, 1);
        if (!json) {
            ck_assert_str_eq(out.data,
                             "ns.yaml:2: Namespace shop/shop: networkPolicyDefaultDeny: no default "
                             "deny\n"
                             "np.yaml:3: NetworkPolicy shop/fe\\x0a: networkPolicyOpen: ingress "
                             "rule 1 admits every source (warning)\n"
                             "1 object checked: 1 allowed, 0 denied; 0 skipped (no pod spec); "
                             "network: 1 warning, 1 denied\n");
        } else {
            json_t *j = load_ordered(out.data);
            json_t *net = json_object_get(j, "network");
            ck_assert_uint_eq(json_array_size(net), 2);
            static const char *const nk[] = {"file",  "line",   "kind",   "namespace", "name",
                                             "check", "action", "detail", "workloads", "profile"};
            expect_keys(json_array_get(net, 1), nk, SL_ARRAY_LEN(nk), "network finding");
            ck_assert_str_eq(str(json_array_get(net, 0), "action"), "deny");
            ck_assert_str_eq(str(json_array_get(net, 1), "action"), "warn");
            ck_assert_str_eq(json_string_value(json_array_get(
                                 json_object_get(json_array_get(net, 1), "workloads"), 0)),
                             "shop/front-end");
            ck_assert_int_eq(num(json_object_get(j, "summary"), "networkDenied"), 1);
            ck_assert_int_eq(num(json_object_get(j, "summary"), "networkWarnings"), 1);
            json_decref(j);
        }
        sl_report_cleanup(&r);
        sl_buf_cleanup(&out);
    }
    sl_strlist_cleanup(&opens);
}
END_TEST

/* The same objects and errors, added in the same order. */
static void fill(struct sl_report *r)
{
    add_denied(r, "first");
    add_allowed(r, "second");
    add_error(r, "broken.yaml", 5, 22, "did not find expected ',' or ']'");
    add_exempt(r, "third");
    add_skipped(r, "fourth");
    add_denied(r, "fifth\x01");
}

struct sink {
    struct sl_buf out;
    size_t calls;
};

static void sink_emit(void *ctx, const char *text, size_t len)
{
    struct sink *k = ctx;
    (void)sl_buf_append(&k->out, text, len);
    k->calls++;
}

/* `check` streams its report; what the user reads must be what the whole report would
 * print, in both formats, and objects must leave before the report is finished. */
START_TEST(test_report_stream_prints_what_the_whole_report_prints)
{
    for (int json = 0; json <= 1; json++) {
        struct sl_report whole;
        sl_report_init(&whole, "default");
        fill(&whole);
        char *want = json ? sl_report_json(&whole) : sl_report_text(&whole);
        sl_report_cleanup(&whole);

        struct sink k = {.calls = 0};
        sl_buf_init(&k.out, 0);
        struct sl_report r;
        sl_report_init_stream(&r, "default", json, sink_emit, &k);
        fill(&r);
        ck_assert_msg(k.calls > 0 && strstr(k.out.data, "first") != NULL,
                      "nothing was written before the end (%s)", json ? "json" : "text");
        ck_assert_msg(r.len <= 1, "the stream holds %zu objects", r.len);
        sl_report_finish(&r);
        struct sl_report_counts c;
        sl_report_counts(&r, &c);
        ck_assert_uint_eq(c.denied, 2);
        ck_assert_uint_eq(c.errors, 1);
        sl_report_cleanup(&r);
        ck_assert_msg(strcmp(k.out.data, want) == 0, "streamed:\n%s\nwhole:\n%s", k.out.data, want);
        free(want);
        sl_buf_cleanup(&k.out);
    }
}
END_TEST

Suite *suite_report(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, test_report_counts_each_verdict);
    tcase_add_test(tc, test_report_network_findings_after_the_objects);
    tcase_add_test(tc, test_report_status_follows_the_verdict);
    tcase_add_test(tc, test_report_text_one_line_per_violation_then_summary);
    tcase_add_test(tc, test_report_text_summary_as_in_readme);
    tcase_add_test(tc, test_report_text_summary_wording);
    tcase_add_test(tc, test_report_text_invalid_line_for_denial_without_violations);
    tcase_add_test(tc, test_report_text_shows_violations_of_allowed_objects);
    tcase_add_test(tc, test_report_text_escapes_control_characters);
    tcase_add_test(tc, test_report_copies_what_it_is_given);
    tcase_add_test(tc, test_report_json_follows_documented_schema);
    tcase_add_test(tc, test_report_marks_fixable_violations);
    tcase_add_test(tc, test_report_json_keeps_names_and_warnings_verbatim);
    tcase_add_test(tc, test_report_json_survives_a_name_that_is_not_utf8);
    tcase_add_test(tc, test_report_stream_prints_what_the_whole_report_prints);
    suite_add_tcase(s, tc);
    return s;
}
