/* base64: OpenSSL's EVP_EncodeBlock, never a hand-rolled codec. */
#include "socklock/base64.h"

#include <limits.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "socklock/alloc.h"

char *sl_base64_encode(const void *p, size_t n)
{
    /* EVP_EncodeBlock takes an int length; our inputs (patches, certificates) are far
     * below INT_MAX, and larger ones are a bug. */
    if (n > (size_t)INT_MAX / 2)
        abort();
    size_t out_len = 4 * ((n + 2) / 3) + 1;
    char *out = sl_xmalloc(out_len);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)p, (int)n);
    return out;
}
