/* The closed chain's decision (shared/chain.c): every combination of mode,
 * pin and digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "chain.h"

static void test_enforced(void **state)
{
    (void)state;
    assert_false(chain_enforced(false, false));
    assert_true(chain_enforced(false, true));
    assert_true(chain_enforced(true, false));
    assert_true(chain_enforced(true, true));
}

static void test_judge_table(void **state)
{
    uint8_t a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];
    (void)state;
    sha256("a", 1, a);
    memcpy(b, a, sizeof(b));
    b[31] ^= 1;                                     /* the last byte counts too */
    static const struct { bool enforced; int pin; int digest; enum chain_verdict v; } rows[] = {
        /* pin: 0 none, 1 = a; digest: 1 = a, 2 = b */
        { false, 0, 1, CHAIN_ACCEPT },
        { true, 0, 1, CHAIN_NOT_PINNED },
        { false, 1, 1, CHAIN_ACCEPT },
        { true, 1, 1, CHAIN_ACCEPT },
        { false, 1, 2, CHAIN_MISMATCH },             /* a pin is checked even when not enforced */
        { true, 1, 2, CHAIN_MISMATCH },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const uint8_t *pin = rows[i].pin ? a : NULL;
        const uint8_t *digest = rows[i].digest == 1 ? a : b;
        assert_int_equal(chain_judge(rows[i].enforced, pin, digest), rows[i].v);
    }
    assert_string_equal(chain_verdict_str(CHAIN_MISMATCH), "SHA-256 differs from its pin");
    assert_string_equal(chain_verdict_str(CHAIN_NOT_PINNED), "not pinned");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enforced),
        cmocka_unit_test(test_judge_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
