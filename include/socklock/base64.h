/* base64: thin wrapper over OpenSSL's EVP_EncodeBlock for patches and the caBundle. */
#ifndef SOCKLOCK_BASE64_H
#define SOCKLOCK_BASE64_H

#include <stddef.h>

/* Returns a new NUL-terminated base64 string of the n bytes at p. Caller frees. */
char *sl_base64_encode(const void *p, size_t n);

#endif
