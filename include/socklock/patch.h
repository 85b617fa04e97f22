/* patch: RFC 6902 JSON patches and RFC 6901 JSON pointers. The engine makes a mutated copy
 * of a pod spec; sl_patch_diff() turns the difference into the operations the API server
 * applies (evanphx/json-patch, RFC 6902 semantics), and sl_patch_apply() replays them on a
 * copy of the original, so /mutate can check its own answer before sending it. Pure. */
#ifndef SOCKLOCK_PATCH_H
#define SOCKLOCK_PATCH_H

#include <stddef.h>

#include <jansson.h>

#include "socklock/buf.h"
#include "socklock/common.h"

/* Appends "/" and `token` to the pointer in b, escaping '~' as "~0" and '/' as "~1". */
void sl_patch_pointer_append(struct sl_buf *b, const char *token);

/* Appends to `ops` (a JSON array) the operations that turn `from` into `to`, both values at
 * pointer `at` ("" for the root; already escaped). Only what differs is touched:
 * - a member that `to` has and `from` lacks is one "add" of the whole value, so a missing
 *   parent is created with its content in one operation;
 * - a member `from` has and `to` lacks is one "remove";
 * - arrays are compared item by item; items `to` has past the end of `from` are "add"ed at
 *   their index, items `from` has past the end of `to` are removed from the last one down;
 * - any other change (a scalar, a type, null to an object) is one "replace".
 * A value both documents share (the same pointer) is unchanged and not walked. Members come
 * in `to`'s order, so the operations' order is stable. Borrows from and to. */
void sl_patch_diff(const json_t *from, const json_t *to, const char *at, json_t *ops);

/* The operations ops with `pointer` put in front of every path: ops made on a part of a
 * document (a pod spec, a List item) made into ops on the whole. Returns a new reference. */
json_t *sl_patch_prefix(const json_t *ops, const char *pointer);

/* Applies ops ("add", "remove", "replace" and "test", as RFC 6902 and evanphx/json-patch do
 * them) to *doc, which may be replaced. Copy on write: the root and every array and object on
 * an operation's path are replaced by shallow copies before anything below them changes, so
 * a value *doc shares with another document (json_incref of it, sl_pss_fix's copies) is
 * never modified, and applying to a new reference of a document leaves that document as it
 * was. SL_E_INVALID with err
 * saying which operation failed, and why, when an operation is malformed, names a path that
 * does not exist, or is of another kind; *doc may then be partly patched. Borrows ops. */
enum sl_status sl_patch_apply(json_t **doc, const json_t *ops, struct sl_error *err);

#endif
