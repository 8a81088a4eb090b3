/* The closed chain's decision (shared/chain.c, pure and host-tested): may
 * the loader use a file, given whether it must verify and what is pinned
 * for it. The loader (efi/chain.c) gathers the facts: Secure Boot, the
 * pins, the file's SHA-256. docs/secure-boot.md has the policy in words. */
#ifndef PAGODA_CHAIN_H
#define PAGODA_CHAIN_H

#include "sha256.h"
#include "types.h"

enum chain_verdict {
    CHAIN_ACCEPT = 0,
    CHAIN_NOT_PINNED,      /* verification is on and nothing pins the file */
    CHAIN_MISMATCH,        /* a pin exists and the file's SHA-256 differs */
};

/* Whether external files must be pinned: always under Secure Boot; with it
 * off only when the (then unverified) config asked for it with verify=1. */
static inline bool chain_enforced(bool secure_boot, bool verify_asked)
{
    return secure_boot || verify_asked;
}

/* A pin, when there is one, is always checked (it is the user's explicit
 * statement, whatever the mode); without one the file is accepted only when
 * verification is off. pin == NULL: no pin. */
enum chain_verdict chain_judge(bool enforced, const uint8_t *pin, const uint8_t digest[SHA256_DIGEST_SIZE]);

/* One phrase for the refusal message ("SHA-256 differs from its pin"). */
const char *chain_verdict_str(enum chain_verdict v);

#endif
