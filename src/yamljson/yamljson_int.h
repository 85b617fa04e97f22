/* Private to the yamljson module: scalar resolution (yamljson_resolve.c), shared with the
 * event-to-value builder (yamljson.c). */
#ifndef SOCKLOCK_YAMLJSON_INT_H
#define SOCKLOCK_YAMLJSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "socklock/common.h"

/* What a scalar resolved to. */
enum yj_kind { YJ_NULL, YJ_BOOL, YJ_INT, YJ_UINT, YJ_FLOAT, YJ_STR };

struct yj_scalar {
    enum yj_kind kind;
    bool b;
    int64_t i;
    uint64_t u; /* YJ_UINT: above INT64_MAX, as go-yaml's uint64 */
    double f;
    const char *s; /* YJ_STR: the scalar's text (borrowed from the caller) */
    size_t slen;
};

/* Resolves one scalar the way go-yaml v2 decodes it into an interface{} (resolve.go and
 * decode.go's scalar()): `tag` is the libyaml tag (long form, or NULL), `plain` says the
 * scalar is plain and untagged (libyaml's plain_implicit). SL_E_INVALID with err->msg set
 * when an explicit tag does not fit the value ("cannot decode !!str `x` as a !!int") or the
 * tag is one sigs.k8s.io/yaml cannot carry (!!binary); the caller adds the position. */
enum sl_status yj_resolve(const char *tag, const char *text, size_t len, bool plain,
                          struct yj_scalar *out, struct sl_error *err);

/* True when a scalar is the merge key `<<` (plain, or tagged !!merge), as go-yaml's isMerge. */
bool yj_is_merge(const char *tag, const char *text, size_t len, bool plain);

/* Converts a resolved scalar to the JSON value encoding/json would write for it, read back by
 * jansson, into *out (a new reference). SL_E_INVALID with err->msg set when JSON cannot carry
 * it (.inf, .nan, integers past 64 bits). */
enum sl_status yj_scalar_json(const struct yj_scalar *sc, json_t **out, struct sl_error *err);

/* Converts a resolved scalar used as a mapping key to the string sigs.k8s.io/yaml makes of it
 * (bools "true"/"false", ints in decimal, floats as Go's FormatFloat(f, 'g', -1, 32)) into
 * *out, which the caller frees. SL_E_INVALID with err->msg set for keys JSON cannot have
 * (null, uint64); *out is then NULL. */
enum sl_status yj_scalar_key(const struct yj_scalar *sc, char **out, struct sl_error *err);

#endif
