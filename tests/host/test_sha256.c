/* SHA-256 (shared/sha256.c): the NIST known-answer vectors (FIPS 180-4
 * examples, "SHA-256 ShortMsg/LongMsg" style), streaming in every split,
 * and a property test against an independent implementation: Python's
 * hashlib, run once over random messages generated here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/rng.h"
#include "sha256.h"

static void hex_of(const void *msg, size_t len, char hex[SHA256_HEX_SIZE])
{
    uint8_t d[SHA256_DIGEST_SIZE];

    sha256(msg, len, d);
    sha256_to_hex(d, hex);
}

/* FIPS 180-4 / NIST CAVP examples. */
static void test_nist_vectors(void **state)
{
    static const struct { const char *msg, *hex; } rows[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",   /* 448 bits */
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
          "klmnopqrlmnopqrsmnopqrstnopqrstu",                            /* 896 bits */
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    };
    char hex[SHA256_HEX_SIZE];
    (void)state;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        hex_of(rows[i].msg, strlen(rows[i].msg), hex);
        assert_string_equal(hex, rows[i].hex);
    }
}

/* One million 'a', fed in 1000-byte pieces and in one piece. */
static void test_million_a(void **state)
{
    static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    size_t n = 1000000;
    char *buf = malloc(n), hex[SHA256_HEX_SIZE];
    uint8_t d[SHA256_DIGEST_SIZE];
    struct sha256 s;
    (void)state;

    assert_non_null(buf);
    memset(buf, 'a', n);
    hex_of(buf, n, hex);
    assert_string_equal(hex, want);
    sha256_init(&s);
    for (size_t i = 0; i < n; i += 1000)
        sha256_update(&s, buf + i, 1000);
    sha256_final(&s, d);
    sha256_to_hex(d, hex);
    assert_string_equal(hex, want);
    free(buf);
}

/* Every two-piece split of messages around the padding boundaries (55, 56,
 * 63, 64, 119, 128 bytes) gives the one-shot digest. */
static void test_every_split(void **state)
{
    uint8_t msg[130], one[SHA256_DIGEST_SIZE], two[SHA256_DIGEST_SIZE];
    (void)state;

    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(msg); len++) {
        sha256(msg, len, one);
        for (size_t cut = 0; cut <= len; cut++) {
            struct sha256 s;
            sha256_init(&s);
            sha256_update(&s, msg, cut);
            sha256_update(&s, msg + cut, len - cut);
            sha256_final(&s, two);
            assert_memory_equal(one, two, sizeof(one));
        }
    }
}

static void test_hex_parse(void **state)
{
    static const char good[] = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    uint8_t d[SHA256_DIGEST_SIZE], want[SHA256_DIGEST_SIZE];
    char hex[SHA256_HEX_SIZE];
    (void)state;

    sha256("abc", 3, want);
    assert_int_equal(sha256_from_hex(good, 64, d), 0);
    assert_memory_equal(d, want, sizeof(d));
    sha256_to_hex(d, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(sha256_from_hex(good, 63, d), -E_INVAL);
    assert_int_equal(sha256_from_hex(good, 65, d), -E_INVAL);
    char bad[65];
    memcpy(bad, good, 64);
    bad[17] = 'g';
    memset(d, 0x5a, sizeof(d));
    assert_int_equal(sha256_from_hex(bad, 64, d), -E_INVAL);
    for (size_t i = 0; i < sizeof(d); i++)
        assert_int_equal(d[i], 0x5a);     /* untouched on refusal */
}

#define PROP_MESSAGES 300
#define PROP_MAX_LEN  5000

/* Random messages (seed printed), random chunking on our side, one python3
 * run hashing the same bytes with hashlib: every digest must agree. */
static void test_against_hashlib(void **state)
{
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32), rng = seed;
    char path[] = "/tmp/pagoda-sha256-XXXXXX";
    int fd = mkstemp(path);
    (void)state;

    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    printf("sha256 property seed 0x%llx\n", (unsigned long long)seed);
    static char ours[PROP_MESSAGES][SHA256_HEX_SIZE];
    static uint8_t msg[PROP_MAX_LEN];
    for (int m = 0; m < PROP_MESSAGES; m++) {
        size_t len = (m < 130) ? (size_t)m : (size_t)rng_below(&rng, PROP_MAX_LEN + 1);
        for (size_t i = 0; i < len; i++)
            msg[i] = (uint8_t)rng_next(&rng);
        struct sha256 s;
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_init(&s);
        for (size_t at = 0; at < len;) {
            size_t piece = (size_t)rng_below(&rng, 150);   /* MIN evaluates twice */
            piece = MIN(piece, len - at);
            sha256_update(&s, msg + at, piece);
            at += piece;
        }
        sha256_final(&s, d);
        sha256_to_hex(d, ours[m]);
        uint32_t le = (uint32_t)len;
        assert_int_equal(fwrite(&le, 4, 1, f), 1);
        assert_int_equal(fwrite(msg, 1, len, f), len);
    }
    assert_int_equal(fclose(f), 0);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import sys,hashlib,struct\n"
             "d=open(sys.argv[1],\"rb\").read();i=0\n"
             "while i<len(d):\n"
             " n=struct.unpack_from(\"<I\",d,i)[0];i+=4;print(hashlib.sha256(d[i:i+n]).hexdigest());i+=n\n' %s",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[128];
    int m = 0;
    while (fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\n")] = '\0';
        assert_true(m < PROP_MESSAGES);
        if (strcmp(line, ours[m]) != 0)
            fail_msg("message %d (seed 0x%llx): ours %s, hashlib %s", m, (unsigned long long)seed,
                     ours[m], line);
        m++;
    }
    assert_int_equal(pclose(p), 0);
    unlink(path);
    assert_int_equal(m, PROP_MESSAGES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_hex_parse),
        cmocka_unit_test(test_against_hashlib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
