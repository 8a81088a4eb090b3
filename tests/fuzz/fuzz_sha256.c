/* libFuzzer harness for shared/sha256.c.
 *
 * The first byte of the input picks a chunking seed, the rest is the
 * message, copied into an exact-size allocation (ASan sees a read past its
 * end). Checked on every input:
 *  - streaming in pieces chosen from the seed gives the one-shot digest;
 *  - byte-at-a-time gives it too;
 *  - hex out and back in is the identity, and the hex is 64 lower-case
 *    digits;
 *  - sha256_from_hex on the raw input (any bytes, any length) accepts only
 *    exactly 64 hex digits, and then its digest prints back as the same
 *    digits lower-cased.
 *
 * Build: make build/fuzz/fuzz_sha256
 * Run:   build/fuzz/fuzz_sha256 -max_total_time=60 CORPUS_DIR
 */
#include <ctype.h>

#include "fuzz_common.h"
#include "sha256.h"

static void check_stream(const uint8_t *msg, size_t size, uint8_t seed)
{
    uint8_t one[SHA256_DIGEST_SIZE], two[SHA256_DIGEST_SIZE], three[SHA256_DIGEST_SIZE];
    struct sha256 s;
    size_t at = 0, step = (size_t)seed + 1;

    sha256(msg, size, one);
    sha256_init(&s);
    while (at < size) {
        size_t piece = MIN(step, size - at);
        sha256_update(&s, msg + at, piece);
        at += piece;
        step = (step * 5 + 3) % 131;   /* 0-length pieces included */
    }
    sha256_final(&s, two);
    REQUIRE(memcmp(one, two, sizeof(one)) == 0);
    sha256_init(&s);
    for (size_t i = 0; i < size; i++)
        sha256_update(&s, msg + i, 1);
    sha256_final(&s, three);
    REQUIRE(memcmp(one, three, sizeof(one)) == 0);

    char hex[SHA256_HEX_SIZE];
    uint8_t back[SHA256_DIGEST_SIZE];
    sha256_to_hex(one, hex);
    REQUIRE(strlen(hex) == 2 * SHA256_DIGEST_SIZE);
    for (size_t i = 0; i < 2 * SHA256_DIGEST_SIZE; i++)
        REQUIRE(isdigit((unsigned char)hex[i]) || (hex[i] >= 'a' && hex[i] <= 'f'));
    REQUIRE(sha256_from_hex(hex, strlen(hex), back) == 0);
    REQUIRE(memcmp(one, back, sizeof(one)) == 0);
}

static void check_hex(const uint8_t *file, size_t size)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    char hex[SHA256_HEX_SIZE];
    bool all_hex = size == 2 * SHA256_DIGEST_SIZE;

    for (size_t i = 0; all_hex && i < size; i++)
        all_hex = isxdigit(file[i]) != 0;
    int rc = sha256_from_hex((const char *)file, size, d);
    REQUIRE((rc == 0) == all_hex);
    if (rc == 0) {
        sha256_to_hex(d, hex);
        for (size_t i = 0; i < size; i++)
            REQUIRE(hex[i] == tolower(file[i]));
    }
}

static uint8_t chunk_seed;

static void check_message(const uint8_t *file, size_t size)
{
    check_stream(file, size, chunk_seed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    chunk_seed = data[0];
    fuzz_check_copy(data + 1, size - 1, check_message);
    fuzz_check_copy(data, size, check_hex);
    return 0;
}
