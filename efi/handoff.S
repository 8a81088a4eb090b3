/* The point of no return: switch to the kernel's page tables and stack and
 * jump to its entry. This page is identity-mapped in the new tables (the
 * loader runs identity-mapped under the firmware's), so the fetch after
 * `mov cr3` still works. Entry ABI (docs/bootinfo.md): RDI = bootinfo
 * (HHDM address), RSP = stack top - 8 (as after a call), interrupts off. */
    .section .text.handoff, "ax"
    .balign 4096
    .globl handoff_start, handoff_end, handoff
handoff_start:
/* void handoff(paddr_t cr3 [rdi], vaddr_t stack_top [rsi], vaddr_t entry [rdx],
 *              vaddr_t bootinfo [rcx]) */
handoff:
    cli                     /* no firmware IDT exists in the new address space */
    mov     %rdi, %cr3      /* new tables; also flushes non-global TLB entries */
    mov     %rsi, %rsp      /* the kernel's stack (guard page below it) */
    mov     %rcx, %rdi      /* first argument of the kernel entry */
    xor     %ebp, %ebp      /* terminate frame-pointer backtraces */
    pushq   $0              /* fake return address: RSP % 16 == 8 as after a call */
    jmp     *%rdx           /* kernel entry, higher half */
handoff_end:
    .section .note.GNU-stack, "", @progbits
