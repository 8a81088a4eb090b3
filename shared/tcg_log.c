/* The TCG crypto-agile event log: walking it and replaying it
 * (include/tcg_log.h). Every length is checked against the buffer before a
 * byte it covers is read: the log is the firmware's data, and the host
 * tool reads whatever file it is given. */
#include "tcg_log.h"

#include <string.h>

/* TCG_PCR_EVENT (the SHA-1 format header): PCRIndex, EventType,
 * Digest[20], EventSize, Event. */
#define LEGACY_DIGEST 20
#define LEGACY_HEAD   (4 + 4 + LEGACY_DIGEST + 4)
/* TCG_EfiSpecIdEvent: Signature[16], platformClass, specVersionMinor,
 * Major, errata, uintnSize, numberOfAlgorithms, then the algorithms. */
#define SPEC_ID_HEAD  (16 + 4 + 4 + 4)

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* n more bytes at *at fit in len; advances. */
static bool take(size_t len, size_t *at, size_t n)
{
    if (n > len || *at > len - n)
        return false;
    *at += n;
    return true;
}

int tcg_log_open(struct tcg_log *log, const uint8_t *buf, size_t len)
{
    size_t at = 0;

    memset(log, 0, sizeof(*log));
    if (!take(len, &at, LEGACY_HEAD))
        return -E_INVAL;
    uint32_t esize = rd32(buf + LEGACY_HEAD - 4);
    const uint8_t *ev = buf + at;
    if (rd32(buf + 4) != TCG_EV_NO_ACTION || esize < SPEC_ID_HEAD || !take(len, &at, esize) ||
        memcmp(ev, TCG_SPEC_ID_SIGNATURE, sizeof(TCG_SPEC_ID_SIGNATURE)) != 0)
        return -E_INVAL;
    uint32_t n = rd32(ev + SPEC_ID_HEAD - 4);
    if (n == 0 || n > TCG_MAX_ALGS || (size_t)n * 4 > esize - SPEC_ID_HEAD)
        return -E_INVAL;
    for (uint32_t i = 0; i < n; i++) {
        log->alg[i] = rd16(ev + SPEC_ID_HEAD + 4 * i);
        log->size[i] = rd16(ev + SPEC_ID_HEAD + 4 * i + 2);
        if (log->size[i] == 0 || (log->alg[i] == TCG_ALG_SHA256 && log->size[i] != SHA256_DIGEST_SIZE))
            return -E_INVAL;
    }
    log->buf = buf;
    log->len = len;
    log->first = at;
    log->nalgs = n;
    return 0;
}

static int alg_size(const struct tcg_log *log, uint16_t alg)
{
    for (uint32_t i = 0; i < log->nalgs; i++)
        if (log->alg[i] == alg)
            return log->size[i];
    return -1;
}

int tcg_log_event(const struct tcg_log *log, size_t at, struct tcg_event *ev)
{
    const uint8_t *b = log->buf;
    size_t start = at;

    memset(ev, 0, sizeof(*ev));
    if (at < log->first || !take(log->len, &at, 12))
        return -E_INVAL;
    ev->pcr = rd32(b + start);
    ev->type = rd32(b + start + 4);
    uint32_t count = rd32(b + start + 8);
    if (count > log->nalgs)
        return -E_INVAL;
    for (uint32_t i = 0; i < count; i++) {
        size_t d = at;
        if (!take(log->len, &at, 2))
            return -E_INVAL;
        uint16_t alg = rd16(b + d);
        int size = alg_size(log, alg);
        if (size < 0 || !take(log->len, &at, (size_t)size))
            return -E_INVAL;
        if (alg == TCG_ALG_SHA256)
            ev->sha256 = b + d + 2;
    }
    size_t s = at;
    if (!take(log->len, &at, 4))
        return -E_INVAL;
    ev->data_size = rd32(b + s);
    ev->data = b + at;
    if (!take(log->len, &at, ev->data_size))
        return -E_INVAL;
    ev->end = at;
    return 0;
}

/* StartupLocality event (PC Client PFP 10.4.5.3): PCR 0 starts with the
 * locality in its last byte. */
static void startup_locality(const struct tcg_event *ev, uint8_t pcr0[SHA256_DIGEST_SIZE])
{
    if (ev->pcr == 0 && ev->data_size == sizeof(TCG_STARTUP_LOCALITY) + 1 &&
        memcmp(ev->data, TCG_STARTUP_LOCALITY, sizeof(TCG_STARTUP_LOCALITY)) == 0)
        pcr0[SHA256_DIGEST_SIZE - 1] = ev->data[sizeof(TCG_STARTUP_LOCALITY)];
}

int tcg_log_replay(const struct tcg_log *log, uint8_t pcr[TCG_PCRS][SHA256_DIGEST_SIZE])
{
    struct tcg_event ev;
    int n = 0;

    memset(pcr, 0, TCG_PCRS * SHA256_DIGEST_SIZE);
    for (size_t at = log->first; at < log->len; at = ev.end, n++) {
        if (tcg_log_event(log, at, &ev) < 0 || ev.pcr >= TCG_PCRS)
            return -E_INVAL;
        if (ev.type == TCG_EV_NO_ACTION) {
            startup_locality(&ev, pcr[0]);
            continue;
        }
        if (!ev.sha256)
            return -E_INVAL;        /* a SHA-256 bank must have every extend */
        struct sha256 s;
        sha256_init(&s);
        sha256_update(&s, pcr[ev.pcr], SHA256_DIGEST_SIZE);
        sha256_update(&s, ev.sha256, SHA256_DIGEST_SIZE);
        sha256_final(&s, pcr[ev.pcr]);
    }
    return n;
}
