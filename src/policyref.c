/* policyref: the current policy behind a mutex, each policy with an atomic reference count.
 *
 * The holder owns one reference to its current policy. acquire() takes the mutex only to
 * read the current pointer and count one more reference on it; swap() takes it only to
 * replace the pointer, and then drops the holder's reference to the old policy outside it.
 * The lock is what makes acquire() safe: between reading the pointer and counting the new
 * reference, a swap and the release of the last request on the old policy could otherwise
 * free it (a lock-free version needs hazard pointers or RCU, which one pointer read per
 * request does not justify). Release needs no lock: a policy that is not current can gain no
 * reference, so whoever brings its count to zero is the last user and frees it.
 *
 * Orderings: the increment may be relaxed, as the mutex orders it against the swap that
 * drops the holder's reference. The decrement is acq_rel, so that every read a thread made
 * of a policy happens before the thread that frees it frees it. */
#include "socklock/policyref.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "socklock/alloc.h"

struct sl_policyref {
    const struct sl_policy *policy;
    struct sl_policy *owned; /* freed with the last reference; NULL when borrowed */
    atomic_uint refs;
};

struct sl_policyref_holder {
    pthread_mutex_t lock;
    struct sl_policyref *current; /* guarded by lock; the holder owns one of its references */
};

static struct sl_policyref *ref_new(const struct sl_policy *pol, struct sl_policy *owned)
{
    struct sl_policyref *ref = sl_xcalloc(1, sizeof(*ref));
    ref->policy = pol;
    ref->owned = owned;
    atomic_init(&ref->refs, 1);
    return ref;
}

static struct sl_policyref_holder *holder_new(struct sl_policyref *current)
{
    struct sl_policyref_holder *h = sl_xcalloc(1, sizeof(*h));
    if (pthread_mutex_init(&h->lock, NULL) != 0)
        abort(); /* fails only for want of memory, which aborts everywhere else too */
    h->current = current;
    return h;
}

struct sl_policyref_holder *sl_policyref_holder_new(const struct sl_policy *pol)
{
    return holder_new(ref_new(pol, NULL));
}

struct sl_policyref_holder *sl_policyref_holder_new_take(struct sl_policy *pol)
{
    return holder_new(ref_new(pol, pol));
}

void sl_policyref_holder_free(struct sl_policyref_holder *h)
{
    if (h == NULL)
        return;
    sl_policyref_release(h->current);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

void sl_policyref_swap(struct sl_policyref_holder *h, struct sl_policy *pol)
{
    struct sl_policyref *fresh = ref_new(pol, pol);
    pthread_mutex_lock(&h->lock);
    struct sl_policyref *old = h->current;
    h->current = fresh;
    pthread_mutex_unlock(&h->lock);
    sl_policyref_release(old);
}

struct sl_policyref *sl_policyref_acquire(struct sl_policyref_holder *h)
{
    pthread_mutex_lock(&h->lock);
    struct sl_policyref *ref = h->current;
    atomic_fetch_add_explicit(&ref->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&h->lock);
    return ref;
}

const struct sl_policy *sl_policyref_policy(const struct sl_policyref *ref)
{
    return ref->policy;
}

void sl_policyref_release(struct sl_policyref *ref)
{
    if (ref == NULL)
        return;
    if (atomic_fetch_sub_explicit(&ref->refs, 1, memory_order_acq_rel) != 1)
        return;
    sl_policy_free(ref->owned);
    free(ref);
}
