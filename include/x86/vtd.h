/* Intel VT-d remapping hardware: the registers and bits Pagoda touches
 * (Intel Virtualization Technology for Directed I/O, rev. 4.x: 8.1 DMAR,
 * 8.3 DRHD, 9.1 root entry, 9.3 context entry, 10.4 registers). The
 * loader turns DMA translation, interrupt remapping and queued invalidation
 * off for Limine kernels at base revision 5+ (efi/limine_iommu.c); the
 * test firmware stand-in tests/limine/fwstate/ turns them on.
 * Assembler-safe. */
#ifndef PAGODA_X86_VTD_H
#define PAGODA_X86_VTD_H

#include "bits.h"

/* Register offsets from a DRHD's register base. */
#define VTD_CAP     0x08
#define VTD_ECAP    0x10
#define VTD_GCMD    0x18    /* u32, write-only */
#define VTD_GSTS    0x1C    /* u32 */
#define VTD_RTADDR  0x20
#define VTD_IQH     0x80
#define VTD_IQT     0x88
#define VTD_IQA     0x90
#define VTD_IRTA    0xB8

/* GCMD commands and the GSTS bits that report them (same positions). */
#define VTD_GCMD_TE    BIT32(31)   /* translation enable */
#define VTD_GCMD_SRTP  BIT32(30)   /* set root table pointer (one-shot) */
#define VTD_GCMD_EAFL  BIT32(28)
#define VTD_GCMD_QIE   BIT32(26)   /* queued invalidation enable */
#define VTD_GCMD_IRE   BIT32(25)   /* interrupt remapping enable */
#define VTD_GCMD_SIRTP BIT32(24)   /* set interrupt remap table pointer (one-shot) */
#define VTD_GCMD_CFI   BIT32(23)   /* compatibility format interrupts */
#define VTD_GSTS_TES   VTD_GCMD_TE
#define VTD_GSTS_RTPS  VTD_GCMD_SRTP
#define VTD_GSTS_QIES  VTD_GCMD_QIE
#define VTD_GSTS_IRES  VTD_GCMD_IRE
#define VTD_GSTS_IRTPS VTD_GCMD_SIRTP
/* 10.4.4: a GCMD write changes one bit; the others are the current status of
 * the persistent controls (one-shot bits written as 0). */
#define VTD_GCMD_PERSISTENT (VTD_GCMD_TE | VTD_GCMD_EAFL | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_CFI)

#define VTD_CAP_SAGAW(cap)   (((cap) >> 8) & 0x1F)   /* bit n: AW value n supported */
#define VTD_ECAP_QI    BIT64(1)
#define VTD_ECAP_IR    BIT64(3)
#define VTD_ECAP_PT    BIT64(6)

/* The invalidation queue (10.4.22-24, 6.5.2): IQA holds the queue's base,
 * its size (4 KiB << QS) and the descriptor width; IQH and IQT are byte
 * offsets of the head and tail. The Invalidation Wait descriptor (6.5.2.8)
 * with Status Write makes the unit store a value once everything before it
 * is done. */
#define VTD_IQA_BASE_MASK    X86_ULL(0xFFFFFFFFFFFFF000)
#define VTD_IQA_DW_256       BIT64(11)
#define VTD_IQA_QS(iqa)      ((iqa) & 7)   /* the queue is VTD_IQ_SIZE_QS0 << QS bytes */
#define VTD_IQ_SIZE_QS0      0x1000
#define VTD_IQ_OFFSET_MASK   X86_ULL(0x7FFF0)
#define VTD_INV_WAIT         X86_ULL(0x5)
#define VTD_INV_WAIT_SW      BIT64(5)
#define VTD_INV_WAIT_DATA_SHIFT 32

/* Root and (legacy) context entries, 128 bits each. */
#define VTD_PRESENT              BIT64(0)
#define VTD_CTX_TT_PASS_THROUGH  (X86_ULL(2) << 2)
#define VTD_CTX_DID_SHIFT        8
#define VTD_DOMAIN               1
#define VTD_IRTA_SIZE_256        7     /* 2^(S+1) entries */

/* How long the loader waits for a unit to report a command, in GSTS reads. */
#define VTD_POLL_MAX   10000000

#endif
