/* Private to the policy module: policy.c holds the model (defaults, lookup, routing,
 * dump, explain), load.c reads policy files, match.c matches namespaces, names and images
 * and reads dates. */
#ifndef SOCKLOCK_POLICY_INT_H
#define SOCKLOCK_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "socklock/policy.h"

/* The namespace socklock's own manifests deploy into; always exempt by default, so the
 * webhook never blocks its own pods. */
#define SL_OWN_NAMESPACE "socklock-system"

/* A new, empty policy with the default limits. */
struct sl_policy *pol_new(void);

/* Appends a profile named `name` with the defaults (restricted, latest, enforce, mutating
 * pods with a /tmp emptyDir) to pol. The pointer is valid until the next pol_add_profile. */
struct sl_profile *pol_add_profile(struct sl_policy *pol, const char *name);

/* A new profile, a deep copy of p. Free with pol_profile_free(). */
struct sl_profile *pol_profile_copy(const struct sl_profile *p);
void pol_profile_free(struct sl_profile *p);

/* Sets every profile's back-pointer (profiles and rules' derived ones) to pol: done once
 * pol's arrays stop moving. */
void pol_link(struct sl_policy *pol);

/* True when s has glob characters (*, ?, [). */
bool pol_is_glob(const char *s);
/* True when the glob is well formed: every '[' has its ']', no empty class. */
bool pol_glob_valid(const char *s);
/* True when every namespace glob `later` matches is matched by `earlier` too (a sound, not
 * complete, test: equal, "*", a literal earlier matches, or a prefix*). */
bool pol_glob_covers(const char *earlier, const char *later);

/* Parses "YYYY-MM-DD" (a real date from 1970 on) into days since 1970-01-01. */
bool pol_parse_date(const char *s, long *days);

/* True when `name` is a Linux capability (canonical: upper case, no CAP_). */
bool pol_known_capability(const char *name);

#endif
