/* The config pin: a block in its own PE section of BOOTX64.EFI that holds
 * the SHA-256 of the one pagoda.conf the loader accepts under Secure Boot.
 * tools/pagoda-pin.c writes it into the built image before it is signed,
 * so the loader's signature covers it (docs/secure-boot.md); the loader
 * (efi/chain.c) reads it. The layout is the contract between the two. */
#ifndef PAGODA_PIN_H
#define PAGODA_PIN_H

#include "sha256.h"
#include "types.h"

#define PIN_SECTION      ".pinconf"            /* PE section names: 8 bytes at most */
#define PIN_MAGIC        "PAGODA-PIN-CONF1"     /* 16 bytes, no NUL stored */
#define PIN_MAGIC_SIZE   16
#define PIN_VERSION      1
#define PIN_FLAG_CONFIG  (1u << 0)             /* config_sha256 is set */

struct pin_block {
    char magic[PIN_MAGIC_SIZE];
    uint32_t version;                          /* PIN_VERSION */
    uint32_t flags;                            /* PIN_FLAG_* */
    uint8_t config_sha256[SHA256_DIGEST_SIZE];
};

_Static_assert(sizeof(struct pin_block) == 56, "pin_block is the tool's and the loader's contract");

#endif
