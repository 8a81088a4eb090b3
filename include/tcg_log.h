/* The TCG crypto-agile event log (TCG PC Client Platform Firmware Profile,
 * section 10: a TCG_PCR_EVENT "Spec ID Event03" header, then TCG_PCR_EVENT2
 * entries) and its replay into PCR values. Pure (shared/tcg_log.c): the
 * loader uses the walker to size the log it copies for the kernel,
 * tools/tpm-replay.c replays a log into the PCR values a TPM must hold. */
#ifndef PAGODA_TCG_LOG_H
#define PAGODA_TCG_LOG_H

#include "sha256.h"
#include "types.h"

#define TCG_ALG_SHA1         0x0004
#define TCG_ALG_SHA256       0x000B
#define TCG_PCRS             24
#define TCG_EV_NO_ACTION     0x00000003      /* logged, never extended */
#define TCG_EV_IPL           0x0000000D      /* what a boot loader loaded (GRUB's type too) */
#define TCG_MAX_ALGS         8
#define TCG_SPEC_ID_SIGNATURE "Spec ID Event03"
#define TCG_STARTUP_LOCALITY  "StartupLocality"

struct tcg_log {
    const uint8_t *buf;
    size_t len;
    size_t first;                            /* offset of the first TCG_PCR_EVENT2 */
    uint32_t nalgs;
    uint16_t alg[TCG_MAX_ALGS], size[TCG_MAX_ALGS];
};

/* One TCG_PCR_EVENT2 as found: its SHA-256 digest (NULL if the entry has
 * none), the event data, and the offset just past it. */
struct tcg_event {
    uint32_t pcr, type;
    const uint8_t *sha256;
    const uint8_t *data;
    uint32_t data_size;
    size_t end;
};

/* Parse the header (the Spec ID event). 0 or -E_INVAL. */
int tcg_log_open(struct tcg_log *log, const uint8_t *buf, size_t len);
/* The entry at offset `at` (>= log->first). 0, or -E_INVAL when it does not
 * lie wholly inside the buffer or names an algorithm the header does not. */
int tcg_log_event(const struct tcg_log *log, size_t at, struct tcg_event *ev);

/* Replay every entry into SHA-256 PCR values (PCR 0's start value from a
 * StartupLocality event, others zero). Returns the entry count or -E_INVAL. */
int tcg_log_replay(const struct tcg_log *log, uint8_t pcr[TCG_PCRS][SHA256_DIGEST_SIZE]);

#endif
