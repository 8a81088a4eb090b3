/* TPM2_PCR_Read (TPM 2.0 Library, Part 3, 22.4): the command bytes and the
 * response's decoding, pure (shared/tpm2_pcr.c), so the loader can read the
 * SHA-256 bank through EFI_TCG2_PROTOCOL.SubmitCommand and the host test
 * can check the decoding. All fields are big-endian. */
#ifndef PAGODA_TPM2_PCR_H
#define PAGODA_TPM2_PCR_H

#include "sha256.h"
#include "types.h"

#define TPM2_ST_NO_SESSIONS  0x8001
#define TPM2_CC_PCR_READ     0x0000017E
#define TPM2_ALG_SHA256      0x000B
#define TPM2_PCR_SELECT_MAX  3              /* 24 PCRs */
#define TPM2_PCR_READ_CMD_SIZE (10 + 4 + 2 + 1 + TPM2_PCR_SELECT_MAX)
#define TPM2_PCR_READ_MAX    8              /* digests one response may hold */

/* The command reading the SHA-256 values of the PCRs in `mask` (bit n =
 * PCR n, at most 8 of them). Returns its size. */
size_t tpm2_pcr_read_cmd(uint32_t mask, uint8_t out[TPM2_PCR_READ_CMD_SIZE]);

/* Decode a response: the PCRs it returned in *got (bit n = PCR n) and their
 * values in pcr[n]. 0, or -E_INVAL (an error code from the TPM, a bank
 * other than SHA-256, a digest that is not 32 bytes, lengths outside the
 * buffer, counts that disagree). */
int tpm2_pcr_read_resp(const uint8_t *buf, size_t len, uint32_t *got, uint8_t pcr[][SHA256_DIGEST_SIZE]);

#endif
