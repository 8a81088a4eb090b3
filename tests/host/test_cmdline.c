/* Host tests for shared/cmdline.c: tables of the command line's rules
 * (whole words, key=value, exact values, u32 numbers), then random command
 * lines checked against the reference model in common/cmdline_ref.c. Words
 * and keys are passed in exact-size heap copies so that ASan reports a read
 * past their end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"
#include "common/cmdline_ref.h"
#include "common/rng.h"

#define PROPERTY_SEED   0x70a90dac3d11e5ULL
#define PROPERTY_ROUNDS 5000
#define LINE_MAX_LEN    24
#define KEY_MAX_LEN     5

/* malloc'd copy of s of exactly strlen(s) + 1 bytes. */
static char *exact(const char *s)
{
    char *c = strdup(s);

    assert_non_null(c);
    return c;
}

static bool has(const char *cmdline, const char *word)
{
    char *l = exact(cmdline), *w = exact(word);
    bool r = cmdline_has(l, w);

    free(l);
    free(w);
    return r;
}

/* Offset of cmdline_value's answer in cmdline, or -1 for NULL. */
static long value_at(const char *cmdline, const char *key)
{
    char *l = exact(cmdline), *k = exact(key);
    const char *v = cmdline_value(l, k);
    long at = v ? (long)(v - l) : -1;

    free(l);
    free(k);
    return at;
}

static bool value_is(const char *value, const char *s)
{
    char *v = exact(value), *c = exact(s);
    bool r = cmdline_value_is(v, c);

    free(v);
    free(c);
    return r;
}

static void test_whole_word(void **state)
{
    static const struct {
        const char *cmdline, *word;
        bool want;
    } rows[] = {
        { "pagoda.test", "pagoda.test", true },
        { "pagoda.test quiet", "pagoda.test", true },        /* first */
        { "quiet pagoda.test verbose", "pagoda.test", true }, /* middle */
        { "quiet pagoda.test", "pagoda.test", true },        /* last */
        { "   quiet    pagoda.test   ", "pagoda.test", true },
        { "pagoda.testing", "pagoda.test", false },          /* prefix of a longer word */
        { "quiet pagoda.testing x", "pagoda.test", false },
        { "xpagoda.test", "pagoda.test", false },            /* suffix of a longer word */
        { "pagoda.test=1", "pagoda.test", false },           /* key=value is one word */
        { "pagoda.tes", "pagoda.test", false },              /* longer than the word */
        { "a", "a", true },
        { "a b", "b", true },
        { "ab", "a", false },
        { "a\tb", "a", false },                              /* only ' ' separates */
        { "", "a", false },
        { "", "", false },                                   /* never an empty word */
        { "   ", "", false },
        { "a  b", "", false },
        { "a b", "a b", false },                             /* a word has no space */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (has(rows[i].cmdline, rows[i].word) != rows[i].want)
            fail_msg("cmdline_has(\"%s\", \"%s\") != %d", rows[i].cmdline, rows[i].word,
                     rows[i].want);
    }
}

static void test_value_lookup(void **state)
{
    static const struct {
        const char *cmdline, *key;
        long at;   /* offset of the value, -1 for none */
    } rows[] = {
        { "k=1", "k", 2 },
        { "a k=1 b", "k", 4 },
        { "k=1 k=2", "k", 2 },                               /* the first word wins */
        { "k k=2", "k", 4 },                                 /* a bare "k" sets nothing */
        { "xk=1", "k", -1 },
        { "k", "k", -1 },
        { "k=", "k", 2 },                                    /* empty value, at the NUL */
        { "k= x", "k", 2 },                                  /* empty value, at the space */
        { "k==1", "k", 2 },                                  /* value "=1" */
        { "k=a=b", "k=a", 4 },                               /* a key may hold '=' */
        { "=x", "", 1 },                                     /* the empty key matches "=..." */
        { "a=1", "", -1 },
        { "", "k", -1 },
        { "k=1", "k 1", -1 },                                /* a key with a space: never */
        /* One key a prefix of another, in both orders. */
        { "pagoda.smp.deaf=3", "pagoda.smp", -1 },
        { "pagoda.smp.deaf=3 pagoda.smp=serial", "pagoda.smp", 29 },
        { "pagoda.smp=serial pagoda.smp.deaf=3", "pagoda.smp.deaf", 34 },
        { "pagoda.smp=serial", "pagoda.smp.deaf", -1 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        long at = value_at(rows[i].cmdline, rows[i].key);
        if (at != rows[i].at)
            fail_msg("cmdline_value(\"%s\", \"%s\") at %ld, want %ld", rows[i].cmdline,
                     rows[i].key, at, rows[i].at);
    }
}

/* The value word ends at a space or at the end of the line; value_is and
 * u32 read it in place. */
static void test_value_word_end(void **state)
{
    char *line = exact("pagoda.smp=serial pagoda.smp.deaf=17 pagoda.stop=online");
    uint32_t n = 0;
    (void)state;

    assert_true(cmdline_value_is(cmdline_value(line, "pagoda.smp"), "serial"));
    assert_true(cmdline_u32(cmdline_value(line, "pagoda.smp.deaf"), &n));
    assert_int_equal(n, 17);
    assert_true(cmdline_value_is(cmdline_value(line, "pagoda.stop"), "online"));
    assert_false(cmdline_value_is(cmdline_value(line, "pagoda.crash"), "online"));
    free(line);
}

static void test_value_is_exact(void **state)
{
    (void)state;
    assert_true(value_is("serial", "serial"));
    assert_true(value_is("serial pagoda.test", "serial"));
    assert_false(value_is("serial2", "serial"));      /* s a prefix of the value */
    assert_false(value_is("seria", "serial"));        /* the value a prefix of s */
    assert_false(value_is("seria l", "serial"));
    assert_false(value_is("serial", "serial x"));     /* s with a space: never */
    assert_false(value_is("Serial", "serial"));
    assert_true(value_is("", ""));
    assert_true(value_is(" x", ""));
    assert_false(value_is("x", ""));
    assert_false(cmdline_value_is(NULL, "serial"));
    assert_false(cmdline_value_is(NULL, ""));
}

static void test_u32(void **state)
{
    static const struct {
        const char *value;
        bool ok;
        uint32_t want;
    } rows[] = {
        { "0", true, 0 },
        { "7", true, 7 },
        { "4294967295", true, UINT32_MAX },
        { "4294967296", false, 0 },
        { "9999999999", false, 0 },                          /* 10 digits, too big */
        { "0000000001", true, 1 },                           /* 10 digits */
        { "00000000001", false, 0 },                         /* 11 digits */
        { "42949672950", false, 0 },
        { "18446744073709551617", false, 0 },                /* 2^64 + 1: no wrap */
        { "42 7", true, 42 },                                /* another word follows */
        { "42 ", true, 42 },
        { "", false, 0 },
        { " 42", false, 0 },
        { "+1", false, 0 },
        { "-1", false, 0 },
        { "0x10", false, 0 },
        { "12a", false, 0 },
        { "1.5", false, 0 },
        { "a12", false, 0 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *v = exact(rows[i].value);
        uint32_t got = 0;
        bool ok = cmdline_u32(v, &got);
        free(v);
        if (ok != rows[i].ok || (ok && got != rows[i].want))
            fail_msg("cmdline_u32(\"%s\") = %d, %u; want %d, %u", rows[i].value, ok, got,
                     rows[i].ok, rows[i].want);
    }
    uint32_t got = 5;
    assert_false(cmdline_u32(NULL, &got));
}

static void random_string(uint64_t *rng, const char *alphabet, size_t max, char *out)
{
    size_t n = rng_below(rng, max + 1), a = strlen(alphabet);

    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rng_below(rng, a)];
    out[n] = '\0';
}

/* Random lines over a small alphabet so that words repeat, keys collide
 * and prefixes of one another are common. */
static void test_property_against_model(void **state)
{
    uint64_t rng = PROPERTY_SEED;
    char line[LINE_MAX_LEN + 1], key[KEY_MAX_LEN + 1], s[KEY_MAX_LEN + 1];
    (void)state;

    for (int round = 0; round < PROPERTY_ROUNDS; round++) {
        random_string(&rng, "ab= .", LINE_MAX_LEN, line);
        /* Mostly no space in keys and words; sometimes one, to check it never matches. */
        random_string(&rng, rng_below(&rng, 8) ? "ab=." : "ab= ", KEY_MAX_LEN, key);
        random_string(&rng, "ab=.", KEY_MAX_LEN, s);

        if (has(line, key) != ref_cmdline_has(line, key))
            fail_msg("round %d: cmdline_has(\"%s\", \"%s\") != model", round, line, key);
        long at = value_at(line, key), want = ref_cmdline_value(line, key);
        if (at != want)
            fail_msg("round %d: cmdline_value(\"%s\", \"%s\") at %ld, model %ld", round, line,
                     key, at, want);
        if (at >= 0 && value_is(line + at, s) != ref_cmdline_value_is(line + at, s))
            fail_msg("round %d: cmdline_value_is(\"%s\", \"%s\") != model", round, line + at, s);
    }
}

/* Digit strings around the 10-digit and 2^32 edges, some with a second
 * word, some with a stray character, against the strtoull model. */
static void test_u32_property(void **state)
{
    uint64_t rng = PROPERTY_SEED ^ 0x32;
    char text[40];
    (void)state;

    for (int round = 0; round < PROPERTY_ROUNDS; round++) {
        switch (rng_below(&rng, 3)) {
        case 0:   /* near 2^32, zero-padded to 10-12 digits or not at all */
            snprintf(text, sizeof(text), "%0*llu", (int)rng_below(&rng, 13),
                     (unsigned long long)rng_between(&rng, UINT32_MAX - 2000ULL,
                                                     UINT32_MAX + 2000ULL));
            break;
        case 1:   /* any size up to 12 digits */
            snprintf(text, sizeof(text), "%llu",
                     (unsigned long long)rng_below(&rng, 1000000000000ULL));
            break;
        default:
            random_string(&rng, "0123456789 x", 13, text);
            break;
        }
        if (rng_below(&rng, 4) == 0)
            strcat(text, " 9");
        char *v = exact(text);
        uint32_t got = 0, want = 0;
        bool ok = cmdline_u32(v, &got), ref_ok = ref_cmdline_u32(v, &want);
        free(v);
        if (ok != ref_ok || (ok && got != want))
            fail_msg("round %d: cmdline_u32(\"%s\") = %d, %u; model %d, %u", round, text, ok, got,
                     ref_ok, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_word),      cmocka_unit_test(test_value_lookup),
        cmocka_unit_test(test_value_word_end),  cmocka_unit_test(test_value_is_exact),
        cmocka_unit_test(test_u32),             cmocka_unit_test(test_property_against_model),
        cmocka_unit_test(test_u32_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
