/* AMD I/O virtualization (AMD-Vi) units: the registers and bits Pagoda
 * touches (AMD IOMMU Specification 48882, 3.x: 5.2 IVRS and IVHD blocks,
 * 3.3 MMIO registers). The loader disables the units for Limine kernels at
 * base revision 5+ (efi/limine_iommu.c); the test firmware stand-in
 * tests/limine/fwstate/ enables them. Assembler-safe. */
#ifndef PAGODA_X86_AMDVI_H
#define PAGODA_X86_AMDVI_H

#include "bits.h"

/* IVRS: blocks from offset 48, u8 type, u8 flags, u16 length; IVHD blocks
 * (types 0x10, 0x11, 0x40) hold the unit's MMIO base at +8. */
#define IVRS_BLOCKS       48
#define IVHD_TYPE_10      0x10
#define IVHD_TYPE_11      0x11
#define IVHD_TYPE_40      0x40
#define IVHD_BASE         8

/* MMIO registers from a unit's base. */
#define AMDVI_DEV_TABLE   0x0000   /* base | (size in 4 KiB pages - 1) */
#define AMDVI_CMD_BUF     0x0008   /* base | ComLen << 56 */
#define AMDVI_EVT_LOG     0x0010   /* base | EventLen << 56 */
#define AMDVI_CONTROL     0x0018
#define AMDVI_STATUS      0x2020
#define AMDVI_LEN_SHIFT   56       /* ComLen / EventLen: 2^n entries of 16 bytes */

#define AMDVI_CTL_IOMMU_EN     BIT64(0)
#define AMDVI_CTL_EVT_LOG_EN   BIT64(2)
#define AMDVI_CTL_EVT_INT_EN   BIT64(3)
#define AMDVI_CTL_CMD_BUF_EN   BIT64(12)
#define AMDVI_CTL_PPR_LOG_EN   BIT64(13)
#define AMDVI_CTL_PPR_INT_EN   BIT64(14)
#define AMDVI_CTL_PPR_EN       BIT64(15)
#define AMDVI_CTL_GA_LOG_EN    BIT64(28)
#define AMDVI_CTL_GA_INT_EN    BIT64(29)
/* The engines that read or write memory, stopped before the unit itself. */
#define AMDVI_CTL_ENGINES (AMDVI_CTL_EVT_LOG_EN | AMDVI_CTL_EVT_INT_EN | AMDVI_CTL_CMD_BUF_EN | \
                           AMDVI_CTL_PPR_LOG_EN | AMDVI_CTL_PPR_INT_EN | AMDVI_CTL_PPR_EN |   \
                           AMDVI_CTL_GA_LOG_EN | AMDVI_CTL_GA_INT_EN)

/* Status: the engines still running (they drop once drained). */
#define AMDVI_STS_EVT_LOG_RUN  BIT64(3)
#define AMDVI_STS_CMD_BUF_RUN  BIT64(4)
#define AMDVI_STS_PPR_LOG_RUN  BIT64(7)
#define AMDVI_STS_GA_LOG_RUN   BIT64(8)
#define AMDVI_STS_RUNNING (AMDVI_STS_EVT_LOG_RUN | AMDVI_STS_CMD_BUF_RUN | AMDVI_STS_PPR_LOG_RUN | \
                           AMDVI_STS_GA_LOG_RUN)

#define AMDVI_POLL_MAX    10000000

#endif
