/* report: what `check` prints, as text or as one JSON document. Pure: it collects verdicts
 * and errors and builds strings; the caller prints them. The JSON schema is documented in
 * README.md ("Offline: socklock check"). */
#ifndef SOCKLOCK_REPORT_H
#define SOCKLOCK_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "socklock/common.h"
#include "socklock/engine.h"
#include "socklock/strlist.h"

/* What became of one object. */
enum sl_report_status {
    SL_REPORT_ALLOWED, /* carries a pod spec, judged, allowed (perhaps with warnings) */
    SL_REPORT_DENIED,  /* carries a pod spec, denied: violations, or not understood (400) */
    SL_REPORT_EXEMPT,  /* carries a pod spec; the profile exempts it (namespace, ...) */
    SL_REPORT_SKIPPED, /* no pod spec (Service, ConfigMap, ...): allowed untouched */
};

struct sl_report_entry {
    char *file;
    int line;
    size_t doc;
    char *api_version;
    char *kind;
    char *namespace_;
    char *name;
    enum sl_report_status status;
    int code;      /* the verdict's code: 0, 403 or 400 */
    char *message; /* denial message or NULL */
    struct sl_findings findings;
    char **warnings;
    size_t nwarnings;
    json_t *patch;             /* what `socklock fix` applies to the object (RFC 6902), or NULL */
    char *profile;             /* the profile that judged it ("" when none did) */
    struct sl_findings waived; /* violations policy exceptions waived, each naming its one */
};

/* A network finding (netpol.h): about a workload, a namespace or a NetworkPolicy, judged over
 * the whole input once every object is in. */
struct sl_report_net {
    char *file;
    int line;
    char *kind;
    char *namespace_;
    char *name;
    char *check; /* networkPolicyIngress, networkPolicyDefaultDeny or networkPolicyOpen */
    char *detail;
    char *profile;               /* the profile whose `network` setting judged it */
    bool deny;                   /* the profile denies it (else a warning) */
    struct sl_strlist workloads; /* networkPolicyOpen: the workloads it opens (NS/NAME) */
};

struct sl_report_counts {
    size_t checked; /* objects with a pod spec: allowed + denied + exempt */
    size_t allowed; /* exempt ones included */
    size_t denied;
    size_t exempt;
    size_t skipped;
    size_t errors;
    size_t waived;           /* violations policy exceptions waived */
    size_t network_warnings; /* network findings that warn */
    size_t network_denied;   /* network findings that deny (exit status 1, as a denial) */
};

struct sl_report {
    char *profile;                   /* profile name as shown in messages */
    struct sl_report_entry *entries; /* streaming: at most the one object not yet written */
    size_t len;
    struct sl_report_net *net; /* network findings, written after the objects */
    size_t nnet;
    struct sl_error *errors; /* files that could not be read or parsed */
    size_t nerrors;
    struct sl_report_counts counts;
    /* Streaming (sl_report_init_stream): where each object goes once it is complete. */
    void (*emit)(void *ctx, const char *text, size_t len);
    void *emit_ctx;
    bool json;
    size_t emitted;
};

/* Starts an empty report for the named profile (copied). */
void sl_report_init(struct sl_report *r, const char *profile);

/* Starts a report that writes as it goes, so that `check` holds one object, not all of
 * them: each object is passed to emit (text lines, or its JSON member of "objects") once
 * the next one is added, and sl_report_finish() writes the rest (the summary line; or the
 * errors and the summary, after the objects, in JSON). emit receives text and its length.
 * sl_report_text()/sl_report_json() are not for a streaming report. */
void sl_report_init_stream(struct sl_report *r, const char *profile, bool json,
                           void (*emit)(void *ctx, const char *text, size_t len), void *ctx);
void sl_report_finish(struct sl_report *r);
void sl_report_cleanup(struct sl_report *r);

/* Records one object's verdict. `carries_pod` says the kind carries a pod spec (so an
 * allowed verdict that was not evaluated means exempt, not skipped). All strings are copied;
 * borrows v. */
void sl_report_add(struct sl_report *r, const char *file, int line, size_t doc,
                   const char *api_version, const char *kind, const char *namespace_,
                   const char *name, bool carries_pod, const struct sl_verdict *v);

/* Names the profile that judged the last recorded object (copied). */
void sl_report_set_profile(struct sl_report *r, const char *profile);

/* Gives the last recorded object the patch `fix` applies to it (a reference is taken; NULL
 * for none). */
void sl_report_set_patch(struct sl_report *r, json_t *patch);

/* Records a network finding, after every object is in (text: one line like a violation's,
 * ending " (warning)" unless it denies; JSON: an entry of "network"). Copies everything. */
void sl_report_add_network(struct sl_report *r, const char *file, int line, const char *kind,
                           const char *namespace_, const char *name, const char *check,
                           const char *detail, const struct sl_strlist *workloads,
                           const char *profile, bool deny);

/* Records a file that could not be read or parsed. Copies err. */
void sl_report_add_error(struct sl_report *r, const struct sl_error *err);

void sl_report_counts(const struct sl_report *r, struct sl_report_counts *out);

/* One line per violation, "FILE:LINE: KIND NAMESPACE/NAME: check: detail", one per waived
 * one ("... (waived by exception \"NAME\")"), one for an object denied without violations
 * ("...: invalid: message"), then the summary line.
 * Errors are not included (the command prints them on stderr as they happen). Caller frees. */
char *sl_report_text(const struct sl_report *r);

/* The whole report as JSON (README.md, "JSON (--output json)"), with a trailing newline.
 * Caller frees. */
char *sl_report_json(const struct sl_report *r);

#endif
