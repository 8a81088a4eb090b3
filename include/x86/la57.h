/* Entering 5-level paging from 64-bit mode, for the loader's two handoffs
 * (efi/handoff.S for Pagoda kernels, efi/limine_entry.S for Limine ones).
 * CR4.LA57 can change only while paging is off (SDM Vol. 3A 2.5, 4.1.1),
 * and turning paging off in 64-bit mode faults: the CPU has to go to
 * compatibility mode (32-bit code segment), clear CR0.PG (long mode goes
 * inactive, EFER.LME stays set), set CR4.LA57, load the 5-level root, set
 * CR0.PG (long mode again, now with 5 levels) and far-return to a 64-bit
 * code segment. Assembler only.
 *
 * LA57_ENTER gdtr, scratch, cr3, code32, data32, code64 expects:
 *   - RBX = a block below 4 GiB, identity-mapped in the current tables and
 *     in the new root, holding at offset \gdtr a GDTR (u16 limit, u64 base)
 *     of a GDT below 4 GiB with flat 32-bit code and data at selectors
 *     \code32 and \data32 and 64-bit code at \code64; at \scratch the top
 *     of a scratch stack (two pushes deep), and at \cr3 the new root (its
 *     low 32 bits are loaded: below 4 GiB);
 *   - this code and its stack identity-mapped below 4 GiB in both tables.
 * Afterwards: 64-bit mode on the new root with 5 levels, RBX zero-extended
 * (the upper halves of the other registers are undefined after
 * compatibility mode), GDTR = that GDT, CS = \code64, DS/ES/SS = \data32,
 * CR4.PCIDE clear (CR0.PG cannot be cleared with it set); RAX, RSI and RSP
 * clobbered. Interrupts must be off. */
#ifndef PAGODA_X86_LA57_H
#define PAGODA_X86_LA57_H

#include "cpu.h"

/* The highest address the switch's code, block, GDT and transitional root
 * may use (32-bit code, paging off): UEFI AllocateMaxAddress's limit. */
#define LA57_SWITCH_MAX_ADDR 0xFFFFFFFFULL

#ifdef __ASSEMBLER__
.macro LA57_ENTER gdtr, scratch, cr3, code32, data32, code64
    mov     %cr4, %rax
    and     $~CR4_PCIDE, %rax
    mov     %rax, %cr4
    lgdt    \gdtr(%rbx)
    mov     \scratch(%rbx), %rsp
    lea     .Lla57_long\@(%rip), %rsi   /* the 64-bit re-entry, for the far return */
    lea     .Lla57_compat\@(%rip), %rax
    pushq   $\code32
    pushq   %rax
    lretq                               /* compatibility mode */
    .code32
.Lla57_compat\@:
    mov     $\data32, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %cr0, %eax
    and     $~CR0_PG, %eax
    mov     %eax, %cr0                  /* paging off: long mode inactive */
    mov     %cr4, %eax
    or      $CR4_LA57, %eax
    mov     %eax, %cr4
    mov     \cr3(%ebx), %eax
    mov     %eax, %cr3
    mov     %cr0, %eax
    or      $CR0_PG, %eax
    mov     %eax, %cr0                  /* EFER.LME still set: long mode, 5 levels */
    pushl   $\code64
    pushl   %esi
    lret
    .code64
.Lla57_long\@:
    mov     %ebx, %ebx                  /* upper halves are undefined after compatibility mode */
.endm
#endif

#endif
