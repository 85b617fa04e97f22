/* policyref: the policy in force, held for a server whose policy may be replaced while it
 * runs. A holder hands out counted references; a reload swaps a whole new policy in. Whoever
 * holds a reference (a request in flight) keeps reading the policy it took, unchanged, and
 * that policy is freed when its last reference goes. A policy is never edited in place. */
#ifndef SOCKLOCK_POLICYREF_H
#define SOCKLOCK_POLICYREF_H

#include "socklock/policy.h"

/* The holder: one current policy, swapped whole. Safe from any thread. */
struct sl_policyref_holder;

/* One counted reference to a policy the holder held when it was taken. */
struct sl_policyref;

/* Returns a holder whose current policy is pol, borrowed: pol must outlive the holder and
 * every reference taken from it, and the caller frees it. Caller frees the holder with
 * sl_policyref_holder_free(). */
struct sl_policyref_holder *sl_policyref_holder_new(const struct sl_policy *pol);

/* The same, but the holder takes pol and frees it once it has been swapped out and its last
 * reference released. Steals pol. */
struct sl_policyref_holder *sl_policyref_holder_new_take(struct sl_policy *pol);

/* Drops the holder's own reference to its current policy (which is freed now unless
 * references to it remain) and frees the holder. References taken from it stay valid until
 * released. Accepts NULL. */
void sl_policyref_holder_free(struct sl_policyref_holder *h);

/* Makes pol the current policy: references taken from now on get it, those taken before keep
 * theirs. The previous policy is freed when its last reference is released (at once when
 * none is held). Steals pol. */
void sl_policyref_swap(struct sl_policyref_holder *h, struct sl_policy *pol);

/* Takes a reference to the current policy: a mutex held for a pointer read and an atomic
 * increment, cheap enough for every request. Returns a new reference; release it with
 * sl_policyref_release(). */
struct sl_policyref *sl_policyref_acquire(struct sl_policyref_holder *h);

/* The policy a reference holds. Borrowed: valid until the reference is released. */
const struct sl_policy *sl_policyref_policy(const struct sl_policyref *ref);

/* Releases a reference; the last one of a policy that is no longer current frees it. Any
 * thread may release a reference another took. Accepts NULL. */
void sl_policyref_release(struct sl_policyref *ref);

#endif
