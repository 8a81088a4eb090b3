/* What the entry stubs record before any C code runs: the registers the
 * loader handed over, so the checks see the entry state, not the compiler's.
 * One array of u64 slots, indexed by the constants below (shared with
 * lk_entry.S). */
#ifndef LK_ENTRY_H
#define LK_ENTRY_H

#define ES_RAX 0
#define ES_RBX 1
#define ES_RCX 2
#define ES_RDX 3
#define ES_RSI 4
#define ES_RDI 5
#define ES_RBP 6
#define ES_R8  7
#define ES_R15 14               /* r8..r15 are slots 7..14 */
#define ES_GPRS 15              /* slots 0..14: every GPR but rsp */
#define ES_RSP 15               /* rsp at entry (points at the return address) */
#define ES_RET 16               /* the u64 at [rsp]: must be 0 */
#define ES_RFLAGS 17
#define ES_CS 18
#define ES_DS 19
#define ES_ES 20
#define ES_SS 21
#define ES_FS 22
#define ES_GS 23
#define ES_VIA 24               /* which entry the loader jumped to */
#define ES_SLOTS 25

#define ES_VIA_REQUEST 1        /* the entry point request's `entry` */
#define ES_VIA_ELF 2            /* the ELF header's e_entry */

#ifndef __ASSEMBLER__
#include <stdint.h>
#include "lk_proto.h"
extern uint64_t lk_entry_state[ES_SLOTS];
void lk_entry(void);
void lk_elf_entry(void);
void lk_ap_entry(struct lk_mp_info *info);
void lk_main(void);
void lk_ap_main(struct lk_mp_info *info, uint64_t rsp, uint64_t rflags);

/* A fault frame as lk_fault_common leaves it: vector and error code (0 when
 * the CPU pushes none), then what the CPU pushed. */
#define LK_FAULT_VECTORS 32
struct lk_fault_frame { uint64_t vector, error, rip, cs, rflags, rsp, ss; };
void lk_fault(struct lk_fault_frame *f) __attribute__((noreturn));
extern const uint64_t lk_fault_stubs[LK_FAULT_VECTORS];
#endif
#endif
