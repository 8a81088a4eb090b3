/* libFuzzer harness for the command-line helpers (shared/cmdline.c): the
 * line comes from pagoda.conf, which without Secure Boot anyone can write.
 *
 * The input up to its first 0 byte is the command line, what follows up to
 * the next 0 byte or the end the word or key looked up (empty when there is
 * no 0 byte); each is copied into a NUL-terminated allocation of exactly its
 * size, so ASan reports a read of one byte past either. Checked on every input, against the reference model
 * in tests/host/common/cmdline_ref.c (strtok_r, strtoull):
 *  - cmdline_has(line, word) agrees with the model;
 *  - cmdline_value(line, key) is the model's answer; when not NULL it points
 *    inside the line, right after "key=" at the start of a word;
 *  - cmdline_value_is(value, key) agrees with the model;
 *  - cmdline_u32 at every word of the line, and at the value, agrees with
 *    the model (1 to 10 digits below 2^32); and at every word of the line's
 *    digit view (each byte but ' ' turned into a digit), where numbers of
 *    10 and 11 digits, either side of 2^32, are common.
 *
 * Build: make build/fuzz/fuzz_cmdline
 * Run:   build/fuzz/fuzz_cmdline -max_total_time=60 CORPUS_DIR
 */
#include "cmdline.h"
#include "fuzz_common.h"

#include "../host/common/cmdline_ref.c"

/* A NUL-terminated copy of data[0 .. n) in exactly n + 1 bytes. */
static char *exact_string(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);

    REQUIRE(s != NULL);
    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

static void check_u32(const char *value)
{
    uint32_t got = 0, want = 0;
    bool ok = cmdline_u32(value, &got), ref_ok = ref_cmdline_u32(value, &want);

    REQUIRE(ok == ref_ok);
    REQUIRE(!ok || got == want);
}

static void check_u32_words(const char *line, size_t line_len)
{
    for (size_t i = 0; i < line_len; i++)
        if (line[i] != ' ' && (i == 0 || line[i - 1] == ' '))
            check_u32(line + i);
}

/* The line with every byte but ' ' replaced by a digit. */
static void check_digit_view(const char *line, size_t line_len)
{
    char *digits = exact_string((const uint8_t *)line, line_len);

    for (size_t i = 0; i < line_len; i++)
        if (digits[i] != ' ')
            digits[i] = (char)('0' + (uint8_t)digits[i] % 10);
    check_u32_words(digits, line_len);
    free(digits);
}

static void check_value(const char *line, size_t line_len, const char *key)
{
    const char *v = cmdline_value(line, key);
    long want = ref_cmdline_value(line, key);
    size_t k = strlen(key);

    REQUIRE(v ? want == v - line : want < 0);
    if (v) {
        const char *word = v - k - 1;
        REQUIRE(word >= line && v <= line + line_len);
        REQUIRE(word == line || word[-1] == ' ');
        REQUIRE(memcmp(word, key, k) == 0 && v[-1] == '=');
    }
    REQUIRE(cmdline_value_is(v, key) == ref_cmdline_value_is(v, key));
    check_u32(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *zero = memchr(data, 0, size);
    size_t line_len = zero ? (size_t)(zero - data) : size;
    size_t key_len = zero ? strnlen((const char *)zero + 1, size - line_len - 1) : 0;
    char *line = exact_string(data, line_len);
    char *key = exact_string(zero ? zero + 1 : data, key_len);

    REQUIRE(cmdline_has(line, key) == ref_cmdline_has(line, key));
    check_value(line, line_len, key);
    check_u32_words(line, line_len);
    check_digit_view(line, line_len);
    free(line);
    free(key);
    return 0;
}
