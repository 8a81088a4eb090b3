/* The point of no return: switch to the kernel's page tables and stack and
 * jump to its entry, with everything read from the handoff block
 * (efi/handoff.h, RDI). This page is identity-mapped in the kernel's tables
 * (the loader runs identity-mapped under the firmware's), so the fetch
 * after `mov cr3` still works. For 5-level paging the CPU first goes
 * through LA57_ENTER (include/x86/la57.h, shared with the Limine handoff)
 * onto a transitional root that maps this page and the block at their
 * identity addresses below 4 GiB; the kernel's root is then loaded from
 * 64-bit code like the 4-level one. Entry ABI (docs/bootinfo.md): RDI =
 * bootinfo (HHDM address), RSP = stack top - 8 (as after a call),
 * interrupts off. */
#include "handoff.h"
#include "x86/la57.h"
#include "x86/trampoline.h"

    .section .text.handoff, "ax"
    .balign 4096
    .globl handoff_start, handoff_end, handoff
handoff_start:
/* void handoff(const struct handoff_block *hb [rdi]) */
handoff:
    cli                     /* no firmware IDT exists in the new address space */
    mov     %rdi, %rbx
    cmpq    $0, HB_LA57(%rbx)
    je      1f
    LA57_ENTER HB_GDTR_PHYS, HB_SCRATCH, HB_TRANS_CR3, TRAMP_SEL_CODE32, TRAMP_SEL_DATA32, TRAMP_SEL_CODE64
1:  mov     HB_STACK_TOP(%rbx), %rsp    /* the kernel's stack (guard page below it) */
    mov     HB_ENTRY(%rbx), %rdx
    mov     HB_BOOTINFO(%rbx), %rdi     /* first argument of the kernel entry */
    mov     HB_FINAL_CR3(%rbx), %rax    /* read before the block's mapping goes */
    mov     %rax, %cr3      /* new tables; also flushes non-global TLB entries */
    xor     %ebp, %ebp      /* terminate frame-pointer backtraces */
    pushq   $0              /* fake return address: RSP % 16 == 8 as after a call */
    jmp     *%rdx           /* kernel entry, higher half */
handoff_end:
    .section .note.GNU-stack, "", @progbits
