/* The closed chain's decision (include/chain.h). Pure: the loader brings
 * the facts, this says accept or why not. */
#include "chain.h"

#include <string.h>

enum chain_verdict chain_judge(bool enforced, const uint8_t *pin, const uint8_t digest[SHA256_DIGEST_SIZE])
{
    if (pin)
        return memcmp(pin, digest, SHA256_DIGEST_SIZE) == 0 ? CHAIN_ACCEPT : CHAIN_MISMATCH;
    return enforced ? CHAIN_NOT_PINNED : CHAIN_ACCEPT;
}

const char *chain_verdict_str(enum chain_verdict v)
{
    switch (v) {
    case CHAIN_ACCEPT:
        return "accepted";
    case CHAIN_NOT_PINNED:
        return "not pinned";
    case CHAIN_MISMATCH:
        return "SHA-256 differs from its pin";
    }
    return "unknown verdict";
}
