/* fuzz_policy: bytes -> the policy loader (`--policy FILE`, the reloaded ConfigMap).
 * Invariants: a rejected policy gives no policy and a non-empty message with a line; an
 * accepted one has at least one profile, every profile with a name, and judges a root pod
 * and a hardened pod under each of its profiles with answers that are JSON AdmissionReviews
 * carrying the request's uid. Build: make fuzz; make test replays the corpus (the example
 * policies and the fixtures). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socklock/alloc.h"
#include "socklock/policy.h"
#include "socklock/review.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char root_pod[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"namespace\":\"team-a\",\"operation\":\"CREATE\",\"userInfo\":{\"username\":\"u\"},"
    "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
    "\"labels\":{\"app\":\"x\"}},\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"a\","
    "\"image\":\"i\",\"securityContext\":{\"privileged\":true,\"runAsUser\":0}}]}}}}";

static const char hardened_pod[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"namespace\":\"kube-system\",\"operation\":\"CREATE\",\"userInfo\":{\"username\":\"u\"},"
    "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
    "\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":"
    "\"RuntimeDefault\"}},\"containers\":[{\"name\":\"a\",\"image\":\"i\",\"securityContext\":{"
    "\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,\"capabilities\":{"
    "\"drop\":[\"ALL\"]}}}]}}}}";

static void judge(const struct sl_profile *prof, enum sl_endpoint ep, const char *review)
{
    struct sl_answer ans;
    sl_review_answer(prof, ep, review, strlen(review), &ans);
    json_error_t e;
    json_t *out = json_loadb(ans.body, ans.len, JSON_REJECT_DUPLICATES, &e);
    if (out == NULL || ans.http_status != 200)
        abort();
    const char *uid = json_string_value(json_object_get(json_object_get(out, "response"), "uid"));
    if (uid == NULL || strcmp(uid, "u-1") != 0)
        abort();
    json_decref(out);
    sl_review_answer_cleanup(&ans);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        sl_alloc_init();
        ready = true;
    }
    struct sl_policy *pol = NULL;
    struct sl_error err = {0};
    if (sl_policy_load((const char *)data, size, "policy.yaml", &pol, &err) != SL_OK) {
        if (pol != NULL || err.msg[0] == '\0')
            abort();
        return 0;
    }
    if (pol == NULL || pol->nprofiles == 0)
        abort();
    for (size_t i = 0; i < pol->nprofiles; i++) {
        const struct sl_profile *prof = &pol->profiles[i];
        if (prof->name == NULL || prof->name[0] == '\0')
            abort();
        judge(prof, SL_EP_VALIDATE, root_pod);
        judge(prof, SL_EP_VALIDATE, hardened_pod);
        judge(prof, SL_EP_MUTATE, root_pod);
    }
    sl_policy_free(pol);
    return 0;
}
