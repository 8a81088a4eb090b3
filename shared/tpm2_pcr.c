/* TPM2_PCR_Read's bytes (include/tpm2_pcr.h). The response is the TPM's
 * (through the firmware): every length is checked before use. */
#include "tpm2_pcr.h"

#include <string.h>

static void be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void be32(uint8_t *p, uint32_t v)
{
    be16(p, (uint16_t)(v >> 16));
    be16(p + 2, (uint16_t)v);
}
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }

size_t tpm2_pcr_read_cmd(uint32_t mask, uint8_t out[TPM2_PCR_READ_CMD_SIZE])
{
    be16(out, TPM2_ST_NO_SESSIONS);
    be32(out + 2, TPM2_PCR_READ_CMD_SIZE);
    be32(out + 6, TPM2_CC_PCR_READ);
    be32(out + 10, 1);                        /* TPML_PCR_SELECTION.count */
    be16(out + 14, TPM2_ALG_SHA256);
    out[16] = TPM2_PCR_SELECT_MAX;
    for (int i = 0; i < TPM2_PCR_SELECT_MAX; i++)
        out[17 + i] = (uint8_t)(mask >> (8 * i));
    return TPM2_PCR_READ_CMD_SIZE;
}

/* Response: tag, size, responseCode, pcrUpdateCounter, TPML_PCR_SELECTION,
 * TPML_DIGEST (count, then {size, bytes} each, in ascending PCR order). */
int tpm2_pcr_read_resp(const uint8_t *buf, size_t len, uint32_t *got, uint8_t pcr[][SHA256_DIGEST_SIZE])
{
    size_t at = 18;
    uint32_t sel = 0, bits = 0;

    *got = 0;
    if (len < at || rd32(buf + 2) != len || rd32(buf + 6) != 0)
        return -E_INVAL;
    uint32_t nsel = rd32(buf + 14);
    if (nsel > 1)
        return -E_INVAL;
    if (nsel == 1) {
        if (len < at + 3 || rd16(buf + at) != TPM2_ALG_SHA256 || buf[at + 2] > TPM2_PCR_SELECT_MAX || len < at + 3 + buf[at + 2])
            return -E_INVAL;
        for (int i = 0; i < buf[at + 2]; i++)
            sel |= (uint32_t)buf[at + 3 + i] << (8 * i);
        at += 3 + buf[at + 2];
    }
    if (len < at + 4)
        return -E_INVAL;
    uint32_t count = rd32(buf + at);
    at += 4;
    for (uint32_t m = sel; m; m &= m - 1)
        bits++;                       /* no __builtin_popcount: a libgcc call in the loader */
    if (count != bits)
        return -E_INVAL;
    for (int n = 0; n < 8 * TPM2_PCR_SELECT_MAX && sel; n++) {
        if (!(sel & (1u << n)))
            continue;
        sel &= ~(1u << n);
        if (len < at + 2 || rd16(buf + at) != SHA256_DIGEST_SIZE || len - at - 2 < SHA256_DIGEST_SIZE)
            return -E_INVAL;
        memcpy(pcr[n], buf + at + 2, SHA256_DIGEST_SIZE);
        at += 2 + SHA256_DIGEST_SIZE;
        *got |= 1u << n;
    }
    return 0;
}
