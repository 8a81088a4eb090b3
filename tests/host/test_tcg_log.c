/* The event-log walker and replay (shared/tcg_log.c) and TPM2_PCR_Read's
 * bytes (shared/tpm2_pcr.c), on logs and responses built here byte by byte
 * from the specs (TCG PC Client PFP 10.2.1-10.2.2, TPM 2.0 Part 3 22.4).
 * The end-to-end check against a real TPM is tests/secureboot (swtpm). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tcg_log.h"
#include "tpm2_pcr.h"

struct buf {
    uint8_t b[4096];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void put32(struct buf *b, uint32_t v) { put(b, &v, 4); }   /* the log is little-endian (x86 host) */
static void put16(struct buf *b, uint16_t v) { put(b, &v, 2); }

/* The Spec ID header with SHA-1 and SHA-256 banks. */
static void spec_id(struct buf *b)
{
    struct buf ev = { .n = 0 };
    uint8_t zero[20] = { 0 };

    put(&ev, TCG_SPEC_ID_SIGNATURE, sizeof(TCG_SPEC_ID_SIGNATURE));
    put32(&ev, 0);                               /* platformClass */
    uint8_t ver[4] = { 0, 2, 0, 2 };             /* minor, major, errata, uintnSize */
    put(&ev, ver, 4);
    put32(&ev, 2);
    put16(&ev, TCG_ALG_SHA1); put16(&ev, 20);
    put16(&ev, TCG_ALG_SHA256); put16(&ev, 32);
    uint8_t vendor = 0;
    put(&ev, &vendor, 1);
    put32(b, 0); put32(b, TCG_EV_NO_ACTION); put(b, zero, 20); put32(b, (uint32_t)ev.n);
    put(b, ev.b, ev.n);
}

/* A TCG_PCR_EVENT2 with both banks; the SHA-1 digest is filler (replay
 * reads the SHA-256 bank only). */
static void event2(struct buf *b, uint32_t pcr, uint32_t type, const uint8_t d256[32], const void *data, uint32_t size)
{
    uint8_t sha1[20];
    memset(sha1, 0xa5, sizeof(sha1));
    put32(b, pcr); put32(b, type); put32(b, 2);
    put16(b, TCG_ALG_SHA1); put(b, sha1, 20);
    put16(b, TCG_ALG_SHA256); put(b, d256, 32);
    put32(b, size); put(b, data, size);
}

static void extend(uint8_t pcr[32], const uint8_t d[32])
{
    uint8_t cat[64];
    memcpy(cat, pcr, 32);
    memcpy(cat + 32, d, 32);
    sha256(cat, 64, pcr);
}

static void test_replay(void **state)
{
    struct buf b = { .n = 0 };
    uint8_t d1[32], d2[32], d3[32], want0[32] = { 0 }, want9[32] = { 0 }, pcr[TCG_PCRS][32];
    static const char loc[] = TCG_STARTUP_LOCALITY "\0\3";     /* locality 3 */
    struct tcg_log log;
    (void)state;

    sha256("one", 3, d1); sha256("two", 3, d2); sha256("three", 5, d3);
    spec_id(&b);
    event2(&b, 0, TCG_EV_NO_ACTION, d3, loc, sizeof(TCG_STARTUP_LOCALITY) + 1);
    event2(&b, 0, 0x8, d1, "x", 1);
    event2(&b, 9, TCG_EV_IPL, d2, "pagoda kernel", 13);
    event2(&b, 9, TCG_EV_IPL, d3, "", 0);
    event2(&b, 9, TCG_EV_NO_ACTION, d1, "", 0);   /* logged, not extended */
    assert_int_equal(tcg_log_open(&log, b.b, b.n), 0);
    assert_int_equal(tcg_log_replay(&log, pcr), 5);
    want0[31] = 3;
    extend(want0, d1);
    extend(want9, d2);
    extend(want9, d3);
    assert_memory_equal(pcr[0], want0, 32);
    assert_memory_equal(pcr[9], want9, 32);
    uint8_t zero[32] = { 0 };
    assert_memory_equal(pcr[8], zero, 32);

    /* Every truncation inside an entry is refused, never read past. */
    for (size_t cut = log.first + 1; cut < b.n; cut++) {
        struct tcg_log t;
        assert_int_equal(tcg_log_open(&t, b.b, cut), 0);
        int rc = tcg_log_replay(&t, pcr);
        struct tcg_event ev;
        size_t at = t.first;
        bool on_boundary = false;
        while (at < cut && tcg_log_event(&t, at, &ev) == 0)
            at = ev.end;
        on_boundary = at == cut;
        assert_true(on_boundary ? rc >= 0 : rc == -E_INVAL);
    }
}

static void test_bad_headers(void **state)
{
    struct buf b = { .n = 0 };
    struct tcg_log log;
    (void)state;

    spec_id(&b);
    assert_int_equal(tcg_log_open(&log, b.b, b.n), 0);
    assert_int_equal(tcg_log_open(&log, b.b, b.n - 1), -E_INVAL);
    b.b[32 + 3] ^= 1;                          /* signature */
    assert_int_equal(tcg_log_open(&log, b.b, b.n), -E_INVAL);
    b.b[32 + 3] ^= 1;
    b.b[4] = 1;                                /* not EV_NO_ACTION */
    assert_int_equal(tcg_log_open(&log, b.b, b.n), -E_INVAL);
    b.b[4] = TCG_EV_NO_ACTION;
    b.b[32 + 28 + 4 + 2] = 31;                 /* SHA-256 digest size 31 */
    assert_int_equal(tcg_log_open(&log, b.b, b.n), -E_INVAL);
}

static void test_unknown_alg_refused(void **state)
{
    struct buf b = { .n = 0 };
    uint8_t d[32] = { 1 }, pcr[TCG_PCRS][32];
    struct tcg_log log;
    (void)state;

    spec_id(&b);
    size_t at = b.n;
    event2(&b, 1, 1, d, "", 0);
    b.b[at + 12] = 0x0c;                       /* SHA-384: not in the header */
    assert_int_equal(tcg_log_open(&log, b.b, b.n), 0);
    assert_int_equal(tcg_log_replay(&log, pcr), -E_INVAL);
}

/* The command's bytes, and a response with PCRs 0 and 9 decoded. */
static void test_pcr_read(void **state)
{
    uint8_t cmd[TPM2_PCR_READ_CMD_SIZE], pcr[TCG_PCRS][32];
    static const uint8_t want_cmd[] = { 0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7e, 0, 0, 0, 1,
                                        0, 0x0b, 3, 0x01, 0x02, 0x00 };
    uint32_t got;
    (void)state;

    assert_int_equal(tpm2_pcr_read_cmd((1u << 0) | (1u << 9), cmd), sizeof(want_cmd));
    assert_memory_equal(cmd, want_cmd, sizeof(want_cmd));

    uint8_t r[128] = { 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,  /* header, update counter */
                       0, 0, 0, 1, 0, 0x0b, 3, 0x01, 0x02, 0x00,         /* selection: PCRs 0, 9 */
                       0, 0, 0, 2 };                                      /* two digests */
    size_t n = 28;
    for (int k = 0; k < 2; k++) {
        r[n++] = 0; r[n++] = 32;
        memset(r + n, 0x10 + k, 32);
        n += 32;
    }
    r[5] = (uint8_t)n;
    assert_int_equal(tpm2_pcr_read_resp(r, n, &got, pcr), 0);
    assert_int_equal(got, (1u << 0) | (1u << 9));
    assert_int_equal(pcr[0][0], 0x10);
    assert_int_equal(pcr[9][31], 0x11);
    for (size_t cut = 0; cut < n; cut++)      /* shorter: the size field disagrees or data is missing */
        assert_int_equal(tpm2_pcr_read_resp(r, cut, &got, pcr), -E_INVAL);
    r[9] = 0x84;                               /* an error code */
    assert_int_equal(tpm2_pcr_read_resp(r, n, &got, pcr), -E_INVAL);
    r[9] = 0;
    r[27] = 3;                                 /* count disagrees with the selection */
    assert_int_equal(tpm2_pcr_read_resp(r, n, &got, pcr), -E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_unknown_alg_refused),
        cmocka_unit_test(test_pcr_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
