/* SHA-256 (FIPS 180-4), streaming: init, update any number of times with
 * any lengths, final. Freestanding (shared/sha256.c): the whole state is
 * the caller's struct sha256, nothing is kept anywhere else, so the
 * loader, the kernel and the host tools hash with the same code. */
#ifndef PAGODA_SHA256_H
#define PAGODA_SHA256_H

#include "types.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64
#define SHA256_HEX_SIZE    (2 * SHA256_DIGEST_SIZE + 1)   /* with the NUL */

struct sha256 {
    uint32_t h[8];                     /* chaining value */
    uint64_t bytes;                    /* message length so far */
    uint8_t block[SHA256_BLOCK_SIZE];  /* partial block: bytes % 64 of them */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Pads, writes the digest; *s must be re-initialised before reuse. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_SIZE]);
/* One-shot: init, update, final. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

/* Lower-case hex with a NUL; parse: exactly 64 hex digits (either case),
 * returns 0 or -E_INVAL. */
void sha256_to_hex(const uint8_t d[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE]);
int sha256_from_hex(const char *hex, size_t len, uint8_t d[SHA256_DIGEST_SIZE]);

#endif
